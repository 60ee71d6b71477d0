"""VBench's aggregates and leaderboard arithmetic: the one home of its constants.

Sources (read for the facts, cited by line; nothing copied):

- per-dimension aggregate over videos: ``vbench`` 0.1.5 -- subject consistency
  ``subject_consistency.py`` line 68 and background consistency
  ``background_consistency.py`` line 64 divide the sum of every frame's score by the
  number of scored frames (frame-weighted: a video of T frames weighs T - 1); temporal
  flickering (``temporal_flickering.py`` line 62), motion smoothness
  (``motion_smoothness.py`` line 178) and dynamic degree (``dynamic_degree.py`` line
  148) take ``np.mean`` of the per-video values (dynamic degree's are booleans). That is
  VBench in one process; run distributed (world size > 1) it reports subject consistency
  as the plain mean of per-video values instead (``subject_consistency.py`` lines 79-81)
  while background consistency stays frame-weighted (lines 74-78). We follow one process.
- board: Vchitect/VBench ``scripts/constant.py`` (commit 45e79ec): ``NORMALIZE_DIC``
  lines 64-81 (min/max per dimension), ``DIM_WEIGHT`` lines 32-49, ``QUALITY_LIST``
  lines 100-107, ``SEMANTIC_LIST`` lines 109-119, ``QUALITY_WEIGHT = 4`` and
  ``SEMANTIC_WEIGHT = 1`` lines 95-96; ``scripts/cal_final_score.py``: a dimension's
  board value is ``(value - Min) / (Max - Min) * DIM_WEIGHT`` (lines 46-49), the quality
  (semantic) score is the sum of those over ``QUALITY_LIST`` (``SEMANTIC_LIST``) divided
  by the sum of their weights (lines 52-64), and the total is
  ``(4 * quality + 1 * semantic) / 5`` (lines 66-67).

vbench-lite computes five of VBench's sixteen dimensions, so a quality, semantic or
total score is given only when every dimension it needs is supplied (VBench's own
script puts 0 in place of a missing dimension, cal_final_score.py lines 37-39, which
yields a number that is not a VBench score).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# scripts/constant.py lines 64-81: dimension -> (Min, Max)
NORMALIZE = {
    "subject consistency": (0.1462, 1.0), "background consistency": (0.2615, 1.0),
    "temporal flickering": (0.6293, 1.0), "motion smoothness": (0.706, 0.9975),
    "dynamic degree": (0.0, 1.0), "aesthetic quality": (0.0, 1.0), "imaging quality": (0.0, 1.0),
    "object class": (0.0, 1.0), "multiple objects": (0.0, 1.0), "human action": (0.0, 1.0),
    "color": (0.0, 1.0), "spatial relationship": (0.0, 1.0), "scene": (0.0, 0.8222),
    "appearance style": (0.0009, 0.2855), "temporal style": (0.0, 0.364), "overall consistency": (0.0, 0.364),
}
# scripts/constant.py lines 32-49: every dimension weighs 1 except dynamic degree (0.5)
DIM_WEIGHT = {dim: 1.0 for dim in NORMALIZE} | {"dynamic degree": 0.5}
QUALITY_LIST = ("subject consistency", "background consistency", "temporal flickering", "motion smoothness",
                "aesthetic quality", "imaging quality", "dynamic degree")  # lines 100-107
SEMANTIC_LIST = ("object class", "multiple objects", "human action", "color", "spatial relationship", "scene",
                 "appearance style", "temporal style", "overall consistency")  # lines 109-119
QUALITY_WEIGHT, SEMANTIC_WEIGHT = 4.0, 1.0  # lines 95-96

FRAME_WEIGHTED, VIDEO_MEAN = "frame_weighted", "video_mean"


@dataclass(frozen=True)
class Dimension:
    """One VBench dimension that a vbench-lite output reproduces. ``key``: VBench's name
    in code and in ``*_eval_results.json`` (underscores); ``label``: the board's name
    (cal_final_score.py line 29 turns ``_`` into spaces); ``rule``: how videos
    aggregate; ``boolean``: per-video results are booleans in VBench's JSON."""

    output: str
    key: str
    rule: str
    boolean: bool = False

    @property
    def label(self) -> str:
        return self.key.replace("_", " ")


DIMENSIONS = {d.output: d for d in (
    Dimension("vbench_subject_consistency", "subject_consistency", FRAME_WEIGHTED),
    Dimension("vbench_background_consistency", "background_consistency", FRAME_WEIGHTED),
    Dimension("vbench_temporal_flickering", "temporal_flickering", VIDEO_MEAN),
    Dimension("vbench_motion_smoothness", "motion_smoothness", VIDEO_MEAN),
    Dimension("vbench_dynamic_degree", "dynamic_degree", VIDEO_MEAN, boolean=True),
)}


def aggregate(output: str, values, pairs=None) -> float:
    """VBench's dimension value from per-video values (module docstring). ``pairs``: the
    number of scored frames per video (a timeline's length), needed by the
    frame-weighted dimensions; without it they fall back to the plain mean, which
    equals VBench's when all videos have the same length. NaN when there are no videos."""
    dim = DIMENSIONS[output]
    v = np.asarray(values, np.float64)  # (N,)
    if v.size == 0:
        return float("nan")
    if dim.rule == FRAME_WEIGHTED and pairs is not None:
        n = np.asarray(pairs, np.float64)  # (N,)
        if n.shape != v.shape or np.any(n < 1):
            raise ValueError(f"{output}: need one frame count >= 1 per video, got {n.tolist()}")
        return float(np.sum(v * n) / np.sum(n))  # sum of per-frame scores / number of them
    return float(np.mean(v))


def normalized(label: str, value: float) -> float:
    """(value - Min) / (Max - Min) of ``NORMALIZE`` (cal_final_score.py line 48)."""
    lo, hi = NORMALIZE[label]
    return (value - lo) / (hi - lo)


def board(values: dict[str, float]) -> dict:
    """VBench's board arithmetic for the dimensions given (board label -> aggregate).

    Returns ``dimensions``: label -> {value, normalized, weight, weighted} (``weighted``
    is what cal_final_score.py sums, lines 48-49); ``quality_score``,
    ``semantic_score``, ``total_score``: VBench's, or None when a dimension they need
    is missing; ``missing_quality`` / ``missing_semantic``: those dimensions."""
    unknown = set(values) - set(NORMALIZE)
    if unknown:
        raise ValueError(f"not VBench dimensions: {', '.join(sorted(unknown))}")
    dims = {label: {"value": v, "normalized": normalized(label, v), "weight": DIM_WEIGHT[label],
                    "weighted": normalized(label, v) * DIM_WEIGHT[label]} for label, v in values.items()}

    def score(names):
        if any(n not in dims for n in names):
            return None
        return sum(dims[n]["weighted"] for n in names) / sum(DIM_WEIGHT[n] for n in names)

    quality, semantic = score(QUALITY_LIST), score(SEMANTIC_LIST)
    total = None if quality is None or semantic is None else \
        (quality * QUALITY_WEIGHT + semantic * SEMANTIC_WEIGHT) / (QUALITY_WEIGHT + SEMANTIC_WEIGHT)
    return {"dimensions": dims, "quality_score": quality, "semantic_score": semantic, "total_score": total,
            "missing_quality": [n for n in QUALITY_LIST if n not in dims],
            "missing_semantic": [n for n in SEMANTIC_LIST if n not in dims]}
