"""Video validation, readers/writers, and the bad-input corpus."""

import os

import cv2
import numpy as np
import pytest

from conftest import moving_square
from vbench_lite.errors import UserError, VideoError
from vbench_lite.io import read_video, write_cache, write_preview
from vbench_lite.video import Video


def test_from_array_layouts():
    rgb = moving_square()
    assert np.array_equal(Video.from_array(rgb).frames, rgb)
    gray = Video.from_array(rgb[..., 0])
    assert gray.frames.shape == rgb.shape and np.array_equal(gray.frames[..., 2], rgb[..., 0])
    bgr = Video.from_array(rgb[..., ::-1], channel_order="bgr")
    assert np.array_equal(bgr.frames, rgb)
    rgba = np.concatenate([rgb, np.full(rgb.shape[:3] + (1,), 255, np.uint8)], -1)
    assert np.array_equal(Video.from_array(rgba).frames, rgb)
    as_float = Video.from_array(rgb.astype(np.float32) / 255)
    assert np.array_equal(as_float.frames, rgb)


def test_cache_is_lossless_and_preview_is_written(tmp_path):
    v = Video(moving_square(), 12.5, {"k": "v"})
    back = read_video(write_cache(v, tmp_path / "c.npz"))
    assert np.array_equal(back.frames, v.frames) and back.fps == 12.5 and back.meta["k"] == "v"
    mp4 = write_preview(v, tmp_path / "p.mp4")
    back = read_video(mp4)
    assert back.frames.shape == v.frames.shape and abs(back.fps - 12.5) < 0.01
    # OpenCV gives BGR: the reader must return RGB (red square stays red)
    assert back.frames[3, 14, 8, 0] > 150 and back.frames[3, 14, 8, 2] < 100


def test_frame_folder_gif_and_npy(tmp_path):
    frames = moving_square()
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, f in enumerate(frames):  # natural sort: 2 before 10
        cv2.imwrite(str(folder / f"f{i}.png"), f[..., ::-1])
    assert np.array_equal(read_video(folder).frames, frames)
    np.save(tmp_path / "v.npy", frames)
    assert np.array_equal(read_video(tmp_path / "v.npy").frames, frames)
    from PIL import Image

    imgs = [Image.fromarray(f) for f in frames]
    imgs[0].save(tmp_path / "v.gif", save_all=True, append_images=imgs[1:], duration=100)
    g = read_video(tmp_path / "v.gif")
    assert g.frames.shape == frames.shape and g.frames[3, 14, 8, 0] > 150


def _bad_inputs(tmp_path):
    """(label, path) pairs: each must give one clear VideoError line."""
    good = Video(moving_square(t=16, size=64), 10.0)
    mp4 = write_preview(good, tmp_path / "good.mp4")
    data = mp4.read_bytes()
    cases = {}
    (tmp_path / "truncated.mp4").write_bytes(data[: len(data) // 3])
    cases["truncated mp4"] = tmp_path / "truncated.mp4"
    (tmp_path / "empty.mp4").write_bytes(b"")
    cases["empty file"] = tmp_path / "empty.mp4"
    np.save(tmp_path / "zero.npy", np.zeros((0, 32, 32, 3), np.uint8))
    cases["zero frames"] = tmp_path / "zero.npy"
    np.save(tmp_path / "one.npy", np.zeros((1, 32, 32, 3), np.uint8))
    cases["one frame"] = tmp_path / "one.npy"
    np.save(tmp_path / "tiny.npy", np.zeros((8, 1, 1, 3), np.uint8))
    cases["1x1 frames"] = tmp_path / "tiny.npy"
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    cv2.imwrite(str(mixed / "0.png"), np.zeros((32, 32, 3), np.uint8))
    cv2.imwrite(str(mixed / "1.png"), np.zeros((40, 32, 3), np.uint8))
    cases["mismatched frame sizes"] = mixed
    np.save(tmp_path / "range.npy", np.full((4, 32, 32, 3), 3.0, np.float32))
    cases["float outside [0,1]"] = tmp_path / "range.npy"
    nan = np.zeros((4, 32, 32, 3), np.float32)
    nan[2, 1, 1, 1] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    cases["NaN"] = tmp_path / "nan.npy"
    np.save(tmp_path / "ch2.npy", np.zeros((4, 32, 32, 2), np.uint8))
    cases["wrong channel count"] = tmp_path / "ch2.npy"
    (tmp_path / "notvideo.mp4").write_text("this is a text file, not a video\n" * 50)
    cases["non-video with video extension"] = tmp_path / "notvideo.mp4"
    locked = tmp_path / "locked.npy"
    np.save(locked, moving_square())
    os.chmod(locked, 0)
    cases["unreadable path"] = locked
    cases["missing path"] = tmp_path / "nope.mp4"
    np.save(tmp_path / "dims.npy", np.zeros((4, 4), np.uint8))
    cases["wrong number of dimensions"] = tmp_path / "dims.npy"
    (tmp_path / "corrupt.npz").write_bytes(b"PK\x03\x04garbage")
    cases["corrupt npz"] = tmp_path / "corrupt.npz"
    return cases


def test_bad_input_corpus_gives_one_clear_line(tmp_path):
    cases = _bad_inputs(tmp_path)
    assert len(cases) >= 12
    root_can_read_anything = os.geteuid() == 0
    for label, path in cases.items():
        if label == "unreadable path" and root_can_read_anything:
            continue  # root ignores file permissions
        with pytest.raises(VideoError) as info:
            read_video(path)
        msg = str(info.value)
        assert "\n" not in msg and str(path.name) in msg, (label, msg)
        assert len(msg) < 300, (label, msg)


def test_unreadable_path_message(tmp_path, monkeypatch):
    p = tmp_path / "v.npy"
    np.save(p, moving_square())
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    with pytest.raises(VideoError, match="not readable"):
        read_video(p)


def test_prompt_and_case_id_validation():
    from vbench_lite.case import Case

    with pytest.raises(UserError, match="control character"):
        Case("ok-id", prompt="a cat\x1b[31m")
    with pytest.raises(UserError, match="path separators"):
        Case("../../etc/passwd")
    Case("fine-id", prompt="a cat and/or a dog ../ in a box")  # separators in prompts are just text
