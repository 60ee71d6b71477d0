"""The physics world's public entry points.

``make_truth`` samples one probe case (scene + parameters + prompt) at a given
clip geometry; ``sample_clip`` renders it, which is what a training data stream
needs. Everything is fully determined by (scenario, split, seed) and the clip
geometry.

Scale: the frame is 10 world units wide at any resolution (so 6.4 px per unit at
64x64); the default clip is 32 frames at 10 fps (3.2 s), as in Kang et al. 2024.
"""

from __future__ import annotations

import zlib

import numpy as np

from vbench_lite.errors import UserError
from vbench_lite.probes.scenarios import RANGES, SCENARIOS, SPLITS, build
from vbench_lite.probes.scene import WORLD_WIDTH
from vbench_lite.probes.truth import ProbeTruth

__all__ = ["SCENARIOS", "SPLITS", "RANGES", "make_truth", "sample_clip", "ProbeTruth"]

MIN_SIDE = 16  # below this a ball of radius 0.4 is under one pixel


def _check(scenario: str, split: str, height: int, width: int, num_frames: int, fps: float) -> None:
    if scenario not in SCENARIOS:
        raise UserError(f"unknown probe scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    if split not in SPLITS:
        raise UserError(f"unknown split {split!r}; use 'id' or 'ood'")
    if min(height, width) < MIN_SIDE:
        raise UserError(f"probe frames must be at least {MIN_SIDE}x{MIN_SIDE} pixels, got {height}x{width}")
    if num_frames < 2 or not fps > 0:
        raise UserError(f"probes need >= 2 frames and fps > 0, got {num_frames} frames at {fps} fps")


def make_truth(scenario: str, split: str, seed: int, height: int = 64, width: int = 64,
               num_frames: int = 32, fps: float = 10.0, cond_frames: int = 4) -> ProbeTruth:
    """Sample the ground truth of one probe case (no rendering yet)."""
    _check(scenario, split, height, width, num_frames, fps)
    # a stable per-(scenario, split) stream so seed 3 of 'parabola' and of 'count' differ
    key = zlib.crc32(f"{scenario}/{split}".encode())
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, key])
    height_w = WORLD_WIDTH * height / width
    duration = (num_frames - 1) / fps
    cond_time = max(cond_frames - 1, 0) / fps
    scene, params, prompt = build(scenario, split, rng, height_w, duration, cond_time)
    return ProbeTruth(scenario, split, int(seed), scene, params, prompt, height, width,
                      num_frames, float(fps), int(cond_frames))


def sample_clip(scenario: str, split: str, seed: int, height: int = 64, width: int = 64,
                num_frames: int = 32, fps: float = 10.0) -> tuple[np.ndarray, dict, str]:
    """Render one probe clip.

    Returns (frames uint8 (T, H, W, 3) RGB, params, prompt). ``params`` holds the
    sampled parameters incl. ``speed`` (world units/s of the main moving object; a
    candle's burn rate, a transfer's flow rate, both in level units/s).
    """
    truth = make_truth(scenario, split, seed, height, width, num_frames, fps)
    return truth.render(), dict(truth.params), truth.prompt
