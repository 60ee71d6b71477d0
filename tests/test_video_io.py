"""Video validation, readers/writers, and the bad-input corpus."""

import os

import cv2
import numpy as np
import pytest

from helpers.bad_videos import bad_inputs
from helpers.common import moving_square
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


def test_bad_input_corpus_gives_one_clear_line(tmp_path):
    cases = bad_inputs(tmp_path)
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
