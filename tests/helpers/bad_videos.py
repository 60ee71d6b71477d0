"""The bad-input corpus: files that must each give one clear VideoError line."""

import os

import cv2
import numpy as np

from helpers.common import moving_square
from vbench_lite.io import write_preview
from vbench_lite.video import Video


def bad_inputs(tmp_path):
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
