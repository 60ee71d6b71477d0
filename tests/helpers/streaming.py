"""Builders for the streaming tests: a lossy video file, a score through the whole-video
path, and the bit-for-bit comparison of two ``ScoredVideo``s."""

import os
from pathlib import Path

import cv2
import numpy as np

from vbench_lite.io import VideoFile
from vbench_lite.runners.scoring import score_item
from vbench_lite.runners.streaming import STREAM_ENV


def write_avi(frames: np.ndarray, path: Path, fps: float = 12.0) -> Path:
    """Motion-JPEG AVI: lossy, as real files are, and decoded the same way every time."""
    h, w = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened()
    for f in frames:
        writer.write(np.ascontiguousarray(f[..., ::-1]))
    writer.release()
    return path


def score_whole(path: Path, case, metrics):
    """``score_item`` of the file with streaming off (the file decoded whole); its result."""
    before = os.environ.get(STREAM_ENV)
    os.environ[STREAM_ENV] = "0"
    try:
        out = score_item(VideoFile(path), case, metrics)
    finally:
        if before is None:
            os.environ.pop(STREAM_ENV)
        else:
            os.environ[STREAM_ENV] = before
    assert out.error is None, out.error
    return out.result


def assert_identical(a, b):
    """Same outputs in the same order, same values and timelines to the bit, same features."""
    assert [s.metric for s in a.scores] == [s.metric for s in b.scores]
    assert a.skips == b.skips
    for x, y in zip(a.scores, b.scores):
        assert (x.value == y.value) or (np.isnan(x.value) and np.isnan(y.value)), (x.metric, x.value, y.value)
        assert (x.timeline is None) == (y.timeline is None), x.metric
        if x.timeline is not None:
            assert x.timeline.dtype == y.timeline.dtype and np.array_equal(x.timeline, y.timeline), x.metric
    assert a.features.keys() == b.features.keys()
    for k in a.features:
        assert np.array_equal(a.features[k], b.features[k]), k
