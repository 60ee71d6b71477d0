"""The physics world's public entry points and the probe protocol.

``make_truth`` samples one probe case (scene + parameters + prompt) and says how it
is observed; ``sample_clip`` renders it, which is what a training data stream
needs. The world is fully determined by (scenario, split, seed): it is always
sampled for the protocol -- a square world 10 units across, 32 frames at 10 fps,
4 conditioning frames, as in Kang et al. 2024 (``PROBE_*``: import them from here;
they are defined in ``vbench_lite.probes.truth``, below this module, because the
scoring window of a ``ProbeTruth`` reads them too). The requested frame size, count,
fps and conditioning frames only decide how that world is observed: frame times,
pixel scale (6.4 px per unit at the default 64x64), letterboxing of a non-square
frame, and which frames a generator is given. Scores start at the protocol's
first generated frame (0.4 s) whatever the observation. A scenario ``length``
protocol clips long (``Scenario.length``, a long rollout) is sampled for ``length``
times the protocol's 3.1 s and observed at the same fps for ``length`` times the
requested clip's span: ``length * (num_frames - 1) + 1`` frames (so a frame rule
of the form a*k + 1 -- 4k+1, 8k+1 -- still holds).
"""

from __future__ import annotations

import zlib

import numpy as np

from vbench_lite.errors import UserError
from vbench_lite.probes import scenarios as _scenarios
from vbench_lite.probes.scenarios import RANGES, SCENARIOS, SPLITS, build
from vbench_lite.probes.truth import (
    PROBE_COND_FRAMES, PROBE_COND_TIME, PROBE_DURATION, PROBE_FPS, PROBE_FRAMES, PROBE_SIZE, SCORE_FROM_S,
    WORLD_HEIGHT, ProbeTruth,
)

__all__ = ["SCENARIOS", "SPLITS", "RANGES", "make_truth", "sample_clip", "ProbeTruth", "PROBE_FRAMES",
           "PROBE_FPS", "PROBE_COND_FRAMES", "PROBE_SIZE", "PROBE_DURATION", "PROBE_COND_TIME", "SCORE_FROM_S"]

MIN_SIDE = 16  # below this a ball of radius 0.4 is under one pixel


def _check(scenario: str, split: str, height: int, width: int, num_frames: int, fps: float,
           cond_frames: int) -> None:
    _scenarios.get(scenario)  # an unknown name is one line naming the known ones
    if split not in SPLITS:
        raise UserError(f"unknown split {split!r}; use 'id' or 'ood'")
    if min(height, width) < MIN_SIDE:
        raise UserError(f"probe frames must be at least {MIN_SIDE}x{MIN_SIDE} pixels, got {height}x{width}")
    if num_frames < 2 or not fps > 0:
        raise UserError(f"probes need >= 2 frames and fps > 0, got {num_frames} frames at {fps} fps")
    if cond_frames < 0:
        raise UserError(f"conditioning frames must be >= 0, got {cond_frames}")


def make_truth(scenario: str, split: str, seed: int, height: int = PROBE_SIZE, width: int = PROBE_SIZE,
               num_frames: int = PROBE_FRAMES, fps: float = PROBE_FPS,
               cond_frames: int = PROBE_COND_FRAMES) -> ProbeTruth:
    """Sample the ground truth of one probe case (no rendering yet).

    The world depends on (scenario, split, seed) alone; ``height`` x ``width`` (px),
    ``num_frames`` at ``fps`` and ``cond_frames`` (the leading frames the generator
    is given) only set how it is observed. ``num_frames`` is per protocol clip: a
    scenario ``length`` clips long is observed for ``length * (num_frames - 1) + 1`` frames."""
    _check(scenario, split, height, width, num_frames, fps, cond_frames)
    clips = _scenarios.length(scenario)
    duration = PROBE_DURATION if clips == 1 else clips * (PROBE_FRAMES - 1) / PROBE_FPS
    # a stable per-(scenario, split) stream so seed 3 of 'parabola' and of 'count' differ
    key = zlib.crc32(f"{scenario}/{split}".encode())
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, key])
    scene, params, prompt = build(scenario, split, rng, WORLD_HEIGHT, duration, PROBE_COND_TIME)
    return ProbeTruth(scenario, split, int(seed), scene, params, prompt, int(height), int(width),
                      clips * (int(num_frames) - 1) + 1, float(fps), int(cond_frames))


def sample_clip(scenario: str, split: str, seed: int, height: int = PROBE_SIZE, width: int = PROBE_SIZE,
                num_frames: int = PROBE_FRAMES, fps: float = PROBE_FPS) -> tuple[np.ndarray, dict, str]:
    """Render one probe clip.

    Returns (frames uint8 (T, H, W, 3) RGB, params, prompt). ``params`` holds the
    sampled parameters incl. ``speed`` (world units/s of the main moving object; a
    candle's burn rate, a transfer's flow rate, both in level units/s).
    """
    truth = make_truth(scenario, split, seed, height, width, num_frames, fps)
    return truth.render(), dict(truth.params), truth.prompt
