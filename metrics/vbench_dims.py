"""VBench's temporal_flickering and dynamic_degree, computed as vbench 0.1.x does.

Facts read from the ``vbench`` 0.1.5 wheel (file:line); the numbers equal VBench's
own functions per video (tests/test_vbench_dims.py), on VBench's scale.

Frames. VBench decodes every frame with ``cv2.VideoCapture`` (temporal_flickering.py:16-27,
dynamic_degree.py:96-113); ``vbench_lite.io`` decodes with the same OpenCV call, so the
frames are the same bytes (RGB here; VBench's flickering keeps BGR, which a mean
absolute difference over channels does not see).

temporal_flickering (temporal_flickering.py:30-49). Per video, the mean over consecutive
pairs of the mean |I_{t+1} - I_t| over pixels and channels, on the 0-255 scale, mapped
to ``(255 - mean) / 255``: 1 for a still video, higher is better. VBench casts frames
to float32 and averages in float32 (:42); here uint8 ``cv2.absdiff`` and a float64 mean
(``flicker.frame_differences``, shared with ``frame_difference`` through the context),
so values agree to float32 rounding (< 1e-6). VBench's *standard* prompt suite only
scores videos that its separate ``static_filter`` CLI kept (cli/static_filter.py); like
VBench's custom-input mode, this scores every video it is given.

dynamic_degree (dynamic_degree.py:42-120). Frames are subsampled with stride
``max(1, round(fps / 8))`` (:100, :116-120; Python's round, halves to even). Each
consecutive pair of the subsampled frames, replicate-padded to multiples of 8 and
centred ("sintel" mode of RAFT's InputPadder, utils_core/utils.py:7-20), goes through
RAFT (raft-things, 20 updates, :77). A pair's score is the mean of the largest
``int(h * w * 0.05)`` flow magnitudes over the *padded* h x w field (:42-56). The
threshold is ``6 * min(H, W) / 256`` of the unpadded frame and the count
``round(4 * n / 16)`` for n subsampled frames (:59-61); the video is dynamic when at
least that many pair scores exceed the threshold (:84-93; with a count of 0 any
video with one pair is dynamic). The output is 1.0 (dynamic) or 0.0. Since the rule
only counts, pairs are scored in batches and scoring stops once the verdict cannot
change (enough pairs moved, or too few pairs are left); the verdict is the same.
RAFT here is torchvision's ``raft_large`` holding VBench's checkpoint
(``metrics/_vbench_raft.py``: bit-identical flow).

Aggregates (what VBench reports per dimension): the mean of the per-video values over
the videos scored -- temporal_flickering.py:62 (``np.mean(sim)``; with several ranks
:72, sum / count), dynamic_degree.py:148 and :163 (mean of booleans = the fraction of
dynamic videos). VBench drops a video whose frames fail to load from flickering's mean
silently (:58-59); here such a video is a failed item with its reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vbench_lite import weights
from vbench_lite.metrics.base import HIGHER, NEEDS_BACKBONE, Metric, MetricSkipped, Output, Score, VideoContext
from vbench_lite.metrics.flicker import frame_differences
from vbench_lite.metrics.backbone_file import BackboneFileMetric, backbone_options

FLOW_UPDATES = 20  # RAFT refinement iterations VBench runs (dynamic_degree.py:77)
TARGET_FPS = 8.0  # frames are subsampled to about 8 per second (dynamic_degree.py:100)
TOP_FRACTION = 0.05  # share of the largest flow magnitudes a pair's score averages (:52)
THRESHOLD_PX_PER_256 = 6.0  # threshold in px per 256 px of the shorter side (:61)
COUNT_PER_16 = 4  # moving pairs needed per 16 subsampled frames (:61)
RAFT_PAD = 8  # InputPadder pads to multiples of 8 (RAFT utils_core/utils.py:9-16)
RAFT_MIN_PADDED_SIDE = 128  # torchvision's RAFT needs 1/8-scale maps of >= 16 (4 levels)


def temporal_flickering_value(diffs: np.ndarray) -> float:
    """VBench's per-video temporal_flickering from pair differences on the 0-255 scale:
    ``(255 - mean) / 255`` (temporal_flickering.py:49), in [0, 1], 1 = no change."""
    return (255.0 - float(np.mean(diffs))) / 255.0


def dynamic_stride(fps: float) -> int:
    """Frame stride VBench samples at: ``max(1, round(fps / 8))`` (dynamic_degree.py:100)."""
    return max(1, round(fps / TARGET_FPS))


def dynamic_params(height: int, width: int, count: int) -> tuple[float, int]:
    """(threshold px, moving pairs needed) for ``count`` subsampled frames of
    ``height`` x ``width`` (dynamic_degree.py:59-61)."""
    return THRESHOLD_PX_PER_256 * (min(height, width) / 256.0), round(COUNT_PER_16 * (count / 16.0))


def sintel_padding(height: int, width: int) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) replicate padding to multiples of 8, centred as
    RAFT's InputPadder in its default "sintel" mode (utils_core/utils.py:9-14)."""
    ph, pw = -height % RAFT_PAD, -width % RAFT_PAD
    return pw // 2, pw - pw // 2, ph // 2, ph - ph // 2


def top_flow_magnitude(flow: np.ndarray) -> float:
    """Mean of the largest ``int(h*w*0.05)`` magnitudes of a float32 (2, h, w) flow
    (dynamic_degree.py:46-54); NaN when that is no pixel, as VBench's mean of nothing."""
    rad = np.sqrt(np.square(flow[0]) + np.square(flow[1])).ravel()  # (h*w,) float32, as VBench
    cut = int(rad.size * TOP_FRACTION)
    if cut == 0:
        return float("nan")
    return float(np.partition(rad, rad.size - cut)[rad.size - cut:].mean(dtype=np.float64))


def verdict(moving: int, done: int, left: int, needed: int) -> bool | None:
    """VBench's count rule (dynamic_degree.py:84-93) once it is decided: True when
    ``needed`` pair scores exceed the threshold (any pair at all when ``needed`` is
    0), False when the ``left`` pairs cannot get there, None while open."""
    if done + left == 0:
        return False
    if moving >= needed:
        return True
    if moving + left < needed:
        return False
    return None


def pair_flows(model, frames: np.ndarray, device: str = "cpu"):
    """RAFT flows of consecutive uint8 (n, H, W, 3) frames, padded as VBench pads them:
    float32 (n-1, 2, h8, w8) numpy on the padded grid."""
    import torch

    left, right, top, bottom = sintel_padding(*frames.shape[1:3])
    x = torch.from_numpy(frames).to(device).permute(0, 3, 1, 2).float()  # (n, 3, H, W) 0..255
    x = torch.nn.functional.pad(x, (left, right, top, bottom), mode="replicate")  # (n, 3, h8, w8)
    x = 2 * (x / 255.0) - 1.0  # RAFT's input scaling, same expression (RAFT core/raft.py:89-90)
    with torch.inference_mode():
        flow = model(x[:-1], x[1:], num_flow_updates=FLOW_UPDATES)[-1]  # (n-1, 2, h8, w8)
    return flow.float().cpu().numpy()


def dynamic_degree_video(frames: np.ndarray, fps: float, model, device: str = "cpu",
                         batch: int = 4) -> tuple[bool, np.ndarray, float, int]:
    """VBench's per-video dynamic_degree of uint8 (T, H, W, 3) RGB frames at ``fps``.

    Returns (dynamic, pair scores computed so far (px), threshold, moving pairs needed).
    Pairs go through RAFT at most ``batch`` at a time, never more than can still decide
    ``verdict``, and scoring stops once it is decided, so the scores may cover fewer
    pairs than the video has."""
    sampled = frames[::dynamic_stride(fps)]  # (n, H, W, 3)
    n, h, w = sampled.shape[:3]
    thres, needed = dynamic_params(h, w, n)
    left, right, top, bottom = sintel_padding(h, w)
    if min(h + top + bottom, w + left + right) < RAFT_MIN_PADDED_SIDE:
        raise MetricSkipped(f"frames of {h}x{w} px are too small for RAFT's 4-level correlation pyramid "
                            f"(needs >= {RAFT_MIN_PADDED_SIDE} px a side)")
    scores: list[float] = []
    pairs = n - 1
    decided = verdict(0, 0, pairs, needed)
    moving = 0
    while decided is None:
        i, left = len(scores), pairs - len(scores)
        # no more pairs than can decide the verdict: ``needed - moving`` more moving ones, or
        # enough still ones that too few are left (a static video stops at 13 of 16, not 16)
        step = min(batch, needed - moving, left - (needed - moving) + 1)
        chunk = sampled[i:i + step + 1]  # step pairs share their frames
        scores.extend(top_flow_magnitude(f) for f in pair_flows(model, chunk, device))
        moving = sum(s > thres for s in scores)
        decided = verdict(moving, len(scores), pairs - len(scores), needed)
    return decided, np.asarray(scores, np.float64), thres, needed


class VBenchTemporalFlickering(Metric):
    """VBench's temporal_flickering per video (module docstring); weight-free."""

    name = "vbench_temporal_flickering"
    version = "1"
    default = False  # asked for by name (``--metrics vbench_...``), as the other VBench dimensions
    outputs = (
        Output("vbench_temporal_flickering", "VBench scale [0,1]", HIGHER,
               "VBench temporal_flickering: (255 - mean |frame_{t+1} - frame_t|) / 255 over all pairs; "
               "timeline: the same per pair", motion_confounded=True),
    )

    def compute(self, video, case, ctx: VideoContext) -> dict[str, Score]:
        # the pair differences flicker's frame_difference reports too: one pass per video
        diffs = 255.0 * ctx.get("frame_differences", lambda: frame_differences(video.frames))  # (T-1,) 0..255
        return {self.name: Score(temporal_flickering_value(diffs), (255.0 - diffs) / 255.0)}


class VBenchDynamicDegree(BackboneFileMetric):
    """VBench's dynamic_degree per video: 1.0 when the video moves by VBench's rule,
    else 0.0; its mean over videos is VBench's dimension score.

    ``raft_path``: VBench's ``raft-things.pth`` (else the weights manager's
    ``raft-things``); ``device``: torch device (default cuda when available);
    ``batch``: pairs per RAFT pass (memory vs speed; same verdict)."""

    name = "vbench_dynamic_degree"
    version = "1"
    default = False  # asked for by name (``--metrics vbench_...``), as the other VBench dimensions
    backbone = "raft-things"
    needs = frozenset({NEEDS_BACKBONE})
    outputs = (
        Output("vbench_dynamic_degree", "VBench dynamic (1/0)", HIGHER,
               "VBench dynamic_degree: 1 when at least round(n/4) of the pairs of frames sampled at ~8 fps "
               "have a top-5 % RAFT flow magnitude above 6*min(H,W)/256 px, else 0"),
    )

    options = backbone_options("raft_path", "a RAFT-things checkpoint", batch=4, unit="frame pairs")
    path_option = "raft_path"

    def __init__(self, raft_path: str | Path | None = None, device: str | None = None, batch: int | str = 4):
        self._init_backbone(raft_path, device, batch)

    def compute(self, video, case, ctx: VideoContext) -> dict[str, Score]:
        from vbench_lite.metrics._vbench_raft import load_raft_things
        from vbench_lite.metrics.clip_consistency import default_device

        self.device = self.device or default_device()
        model = load_raft_things(str(weights.resolve(self.backbone, self.raft_path)), self.device)
        dynamic, _, _, _ = dynamic_degree_video(video.frames, video.fps, model, self.device, self.batch)
        return {self.name: Score(float(dynamic))}
