"""Data for the reference DiT: pixel conversions, the motion-strength measure,
training conditioning with dropout, and clip sources (physics world, synthetic).

Motion strength is *measured from pixels* by ``measure_speed`` both when training
(on each training clip) and when sampling with ``motion < 0`` ("auto", on the given
conditioning frames), so the number means the same thing at both ends, like Stable
Video Diffusion's motion_bucket_id is computed from the clip's optical flow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch

from vbench_lite.case import PROTOCOL
from vbench_lite.generators.dit.model import Conditioning, DiTConfig
from vbench_lite.generators.dit.text_encoder import tokenize

FG_THRESHOLD = 40  # uint8 channel difference from the background that counts as an object


def to_model(frames: np.ndarray) -> torch.Tensor:
    """uint8 ``(..., T, H, W, 3)`` -> float32 ``(..., T, 3, H, W)`` in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).float() / 127.5 - 1.0
    return x.movedim(-1, -3)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """float ``(..., T, 3, H, W)`` in [-1, 1] -> uint8 ``(..., T, H, W, 3)``."""
    x = ((x.float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    return x.movedim(-3, -1).cpu().numpy()


def measure_speed(frames: np.ndarray) -> float:
    """Mean speed of the foreground centroid in px/frame, >= 0.

    ``frames`` uint8 ``(T, H, W, 3)``, T >= 2. The background is the clip's median colour
    (objects cover a minority of pixels); the foreground is every pixel differing from
    it by more than ``FG_THRESHOLD`` in some channel. Frames without foreground are skipped.
    """
    f = frames.astype(np.int16)  # (T, H, W, 3)
    bg = np.median(f.reshape(-1, 3), axis=0)  # (3,)
    fg = (np.abs(f - bg).max(axis=-1) > FG_THRESHOLD)  # (T, H, W)
    area = fg.sum(axis=(1, 2))  # (T,)
    ys, xs = np.mgrid[0 : fg.shape[1], 0 : fg.shape[2]]
    with np.errstate(invalid="ignore", divide="ignore"):
        cy = (fg * ys).sum(axis=(1, 2)) / area  # (T,)
        cx = (fg * xs).sum(axis=(1, 2)) / area
    step = np.hypot(np.diff(cy), np.diff(cx))  # (T-1,)
    step = step[np.isfinite(step)]
    return float(step.mean()) if step.size else 0.0


@dataclass(frozen=True)
class DropoutConfig:
    """Training-time conditioning dropout (so classifier-free guidance works) and the
    distribution of how many leading frames are given."""

    p_drop_text_motion: float = 0.15  # both dropped together: the guidance baseline
    p_drop_text: float = 0.05
    # "auto" motion at sampling is the null vector, so it needs real training share (~0.35 in all)
    p_drop_motion: float = 0.25
    p_frames: tuple[float, ...] = (0.1, 0.1, 0.05, 0.05, 0.7)  # P(k = 0, 1, 2, 3, 4)
    # the world's prompts state speeds ("at 1.3 units per second"); a prompt with its numbers
    # removed leaves the motion request (and the given frames) as the only source of speed
    p_drop_numbers: float = 0.0


NUMBER = re.compile(r"\s*[-+]?\d+(?:\.\d+)?")


def strip_numbers(prompt: str) -> str:
    """The prompt without its numbers: "slides left at 1.3 units per second" -> "slides left at
    units per second" (the hashed-token encoder reads words, not grammar)."""
    return NUMBER.sub("", prompt).strip()


def training_conditioning(
    clips: torch.Tensor, prompts: list[str], speeds: list[float], cfg: DiTConfig,
    drop: DropoutConfig, rng: np.random.Generator,
) -> Conditioning:
    """Random known-frame count and dropout for a batch ``clips`` ``(B, T, C, H, W)``."""
    B, T = clips.shape[:2]
    p = np.asarray(drop.p_frames[: cfg.cond_frames + 1], dtype=float)
    k = rng.choice(len(p), size=B, p=p / p.sum())  # (B,)
    mask = torch.from_numpy((np.arange(T)[None] < k[:, None]).astype(np.float32))  # (B, T)
    both = rng.random(B) < drop.p_drop_text_motion
    drop_text = torch.from_numpy(both | (rng.random(B) < drop.p_drop_text))
    drop_motion = torch.from_numpy(both | (rng.random(B) < drop.p_drop_motion))
    if drop.p_drop_numbers > 0:
        prompts = [strip_numbers(p) if r < drop.p_drop_numbers else p for p, r in zip(prompts, rng.random(B))]
    return Conditioning(
        known=clips * mask[:, :, None, None, None],
        known_mask=mask,
        text_ids=tokenize(prompts, cfg.text_len, cfg.text_vocab),
        motion=torch.tensor(speeds, dtype=torch.float32),
        drop_text=drop_text,
        drop_motion=drop_motion,
    )


def synthetic_clip(rng: np.random.Generator, frames: int, height: int, width: int):
    """A coloured square moving at constant velocity on a dark background, like the
    physics world's (for tests and smoke runs).

    Returns ``(uint8 (T, H, W, 3), prompt, speed px/frame)``.
    """
    colours = {"red": (220, 40, 40), "green": (40, 200, 60), "blue": (50, 80, 230)}
    name = list(colours)[rng.integers(len(colours))]
    size = max(2, height // 6)
    vx, vy = rng.uniform(-1.5, 1.5, size=2)
    x0 = rng.uniform(size, width - 2 * size)
    y0 = rng.uniform(size, height - 2 * size)
    clip = np.full((frames, height, width, 3), 20, dtype=np.uint8)
    for t in range(frames):
        x = int(round(np.clip(x0 + vx * t, 0, width - size)))
        y = int(round(np.clip(y0 + vy * t, 0, height - size)))
        clip[t, y : y + size, x : x + size] = colours[name]
    return clip, f"a {name} square moves", measure_speed(clip)


PROBE_FRAMES = PROTOCOL.num_frames  # the probes' clip length; training windows are cut from clips this long
P_START_AT_ZERO = 0.4  # share of windows that start at frame 0, as the first rollout window does


def world_clip(scenario: str, seed: int, frames: int, height: int, width: int, fps: float,
               rng: np.random.Generator):
    """One in-distribution window from the physics world: ``(uint8 clip, prompt, speed)``.

    The clip is rendered at the probes' length and a window of ``frames`` is cut from a
    random start, so later rollout windows (mid-flight, after a bounce) are in-distribution too.
    """
    from vbench_lite.probes.world import sample_clip  # the probes package, imported lazily

    total = max(frames, PROBE_FRAMES)
    clip, _params, prompt = sample_clip(scenario, "id", seed, height=height, width=width, num_frames=total, fps=fps)
    start = 0 if rng.random() < P_START_AT_ZERO else int(rng.integers(0, total - frames + 1))
    window = clip[start : start + frames]
    return window, prompt, measure_speed(window)


def clip_batches(
    cfg: DiTConfig, batch_size: int, seed: int, source: str = "world",
    scenarios: list[str] | tuple[str, ...] | None = None,
) -> Iterator[tuple[np.ndarray, list[str], list[float]]]:
    """Endless batches of fresh clips: ``(uint8 (B, T, H, W, 3), prompts, speeds)``.

    ``source`` "world": the scenarios of ``vbench_lite.probes.world`` (``scenarios``, or
    those of the ``default`` suite when empty/None: the memory probes are held out), ID split only, seeds ``seed * 10**7 + i`` (so a run never
    repeats a clip; the probe suites use world seeds 0-7, so a run with ``seed >= 1`` never
    sees a probe world); "synthetic": moving squares.
    """
    rng = np.random.default_rng(seed)
    if source == "world":
        from vbench_lite.probes.scenarios import in_suite
        from vbench_lite.probes.world import SCENARIOS

        unknown = sorted(set(scenarios or ()) - set(SCENARIOS))
        if unknown:
            raise ValueError(f"unknown scenarios {unknown}; known: {', '.join(SCENARIOS)}")
        scenarios = list(scenarios) if scenarios else list(in_suite("default"))
    i = 0
    while True:
        clips, prompts, speeds = [], [], []
        for _ in range(batch_size):
            if source == "world":
                sc = scenarios[rng.integers(len(scenarios))]
                clip, prompt, speed = world_clip(sc, seed * 10**7 + i, cfg.frames, cfg.height, cfg.width, cfg.fps, rng)
            else:
                clip, prompt, speed = synthetic_clip(rng, cfg.frames, cfg.height, cfg.width)
            i += 1
            clips.append(clip)
            prompts.append(prompt)
            speeds.append(speed)
        yield np.stack(clips), prompts, speeds
