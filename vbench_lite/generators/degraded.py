"""``degraded``: wrap any generator and inject one controlled, seeded artifact.

``--generator degraded --set base=simulator --set kind=flicker --set strength=0.3``;
settings of the wrapped generator pass through with a ``base.`` prefix
(``--set base.steps=8``). The artifact's seed is the case seed, so a degraded video
is reproducible. This is how we prove metrics move the right way.

The artifacts themselves are plain functions, usable without the generator:

``degrade_frames(frames, kind, strength, seed)`` maps uint8 ``(T, H, W, 3)`` frames
to frames of the same shape. ``strength`` is continuous in [0, 1]; 0 is the
identity and every kind is monotone in it (more strength, more artifact). The
first frame is never changed, so "drift from the first frame" is well defined.

Kinds and what ``strength`` means:

- ``flicker``       per-frame random gain and colour cast: each frame is multiplied
                    by ``1 + strength * 0.3 * n`` (n ~ N(0,1) per frame, per channel
                    at 1/3 of that amplitude). Amplitude 0.3 of full scale at s=1.
- ``color_drift``   gradual colour shift of the subject: frame t gets a linear RGB
                    cast reaching ``strength * 0.5`` of full scale at the last frame.
- ``texture_drift`` gradual loss of texture: frame t is blended towards a Gaussian-
                    blurred copy (sigma 3 px) with weight ``strength * t / (T-1)``.
- ``jitter``        spatial shake: each frame (after the first) is translated by a
                    random offset with std ``strength * 4`` px (sub-pixel, bilinear,
                    border replicated).
- ``freeze``        the last ``round(strength * (T-1))`` frames repeat the frame
                    before them.
- ``drop``          a fraction ``strength * 0.5`` of frames is dropped and the gaps
                    filled by repeating the previous kept frame (duration is kept).
- ``duplicate``     a fraction ``strength * 0.5`` of frames is replaced by a copy of
                    its predecessor (stutter without losing the end state).
- ``shuffle``       a fraction ``strength`` of the disjoint neighbour pairs (1,2),
                    (3,4), ... after the first frame is swapped (seeded choice).
- ``vanish``        the moving foreground disappears: from frame
                    ``round((1 - strength) * (T-1)) + 1`` on, pixels that differ from
                    the temporal-median background are replaced by that background.
                    Meant for static-camera scenes (the probe world).
"""

from __future__ import annotations

import cv2
import numpy as np

from vbench_lite.errors import UserError
from vbench_lite.generators.base import Generator
from vbench_lite.video import Video

KINDS = ("flicker", "color_drift", "texture_drift", "jitter", "freeze", "drop", "duplicate", "shuffle", "vanish")


def degrade_frames(frames: np.ndarray, kind: str, strength: float, seed: int = 0) -> np.ndarray:
    """Return a degraded copy of ``frames`` (uint8 (T, H, W, 3)); see module docs."""
    if kind not in KINDS:
        raise ValueError(f"unknown degradation {kind!r}; choose one of {', '.join(KINDS)}")
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"degradation strength must be in [0, 1], got {strength}")
    frames = np.asarray(frames)
    if strength == 0.0 or frames.shape[0] < 2:
        return frames.copy()
    rng = np.random.default_rng(seed)
    return _KIND_FN[kind](frames, float(strength), rng)


def _as_float(frames: np.ndarray) -> np.ndarray:
    return frames.astype(np.float32) / 255.0


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)


def _ramp(t_count: int) -> np.ndarray:
    """0 at the first frame, 1 at the last; shape (T, 1, 1, 1)."""
    return np.linspace(0.0, 1.0, t_count, dtype=np.float32)[:, None, None, None]


def _flicker(frames, s, rng):
    t = frames.shape[0]
    gain = 1.0 + s * 0.3 * rng.standard_normal((t, 1, 1, 1))  # global brightness
    cast = 1.0 + s * 0.1 * rng.standard_normal((t, 1, 1, 3))  # colour cast
    factor = (gain * cast).astype(np.float32)
    factor[0] = 1.0
    return _to_uint8(_as_float(frames) * factor)


def _color_drift(frames, s, rng):
    direction = rng.standard_normal(3).astype(np.float32)
    direction /= np.linalg.norm(direction) + 1e-8
    offset = _ramp(frames.shape[0]) * (s * 0.5) * direction  # (T, 1, 1, 3)
    return _to_uint8(_as_float(frames) + offset)


def _texture_drift(frames, s, rng):
    x = _as_float(frames)
    blurred = np.stack([cv2.GaussianBlur(f, (0, 0), 3.0) for f in x])
    w = _ramp(frames.shape[0]) * s
    return _to_uint8((1 - w) * x + w * blurred)


def _jitter(frames, s, rng):
    t, h, w, _ = frames.shape
    out = frames.copy()
    offsets = rng.standard_normal((t, 2)) * (s * 4.0)
    for i in range(1, t):
        m = np.float32([[1, 0, offsets[i, 0]], [0, 1, offsets[i, 1]]])
        out[i] = cv2.warpAffine(frames[i], m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out


def _freeze(frames, s, rng):
    t = frames.shape[0]
    n = int(round(s * (t - 1)))
    out = frames.copy()
    if n:
        out[t - n:] = frames[t - n - 1]
    return out


def _pick(t: int, fraction: float, rng) -> np.ndarray:
    """Indices in [1, T) chosen without replacement; nested for growing fraction."""
    order = rng.permutation(np.arange(1, t))
    return np.sort(order[: int(round(fraction * (t - 1)))])


def _drop(frames, s, rng):
    out = frames.copy()
    for i in _pick(frames.shape[0], s * 0.5, rng):
        out[i] = out[i - 1]  # the gap shows the last kept frame: a jump follows
    return out


def _duplicate(frames, s, rng):
    out = frames.copy()
    for i in _pick(frames.shape[0], s * 0.5, rng):
        out[i] = frames[i - 1]  # one-frame stutter, the sequence then continues
    return out


def _shuffle(frames, s, rng):
    t = frames.shape[0]
    order = np.arange(t)
    # disjoint neighbour pairs (1,2), (3,4), ... in a seeded order; swapping a growing
    # prefix of them keeps the artifact nested (monotone) in strength
    pairs = rng.permutation(np.arange(1, t - 1, 2))
    for i in pairs[: int(round(s * len(pairs)))]:
        order[i], order[i + 1] = order[i + 1], order[i]
    return frames[order].copy()


def _vanish(frames, s, rng):
    t = frames.shape[0]
    background = np.median(frames, axis=0).astype(np.int16)  # (H, W, 3)
    start = int(round((1 - s) * (t - 1))) + 1
    out = frames.copy()
    for i in range(min(start, t), t):
        diff = np.abs(frames[i].astype(np.int16) - background).max(axis=-1)
        fg = cv2.dilate((diff > 24).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        out[i][fg] = background[fg].astype(np.uint8)
    return out


_KIND_FN = {
    "flicker": _flicker, "color_drift": _color_drift, "texture_drift": _texture_drift,
    "jitter": _jitter, "freeze": _freeze, "drop": _drop, "duplicate": _duplicate,
    "shuffle": _shuffle, "vanish": _vanish,
}


# -- the ``degraded`` generator: a base generator's videos through ``degrade_frames`` --


class DegradedGenerator(Generator):
    name = "degraded"
    settings = {"base": "simulator", "kind": "flicker", "strength": 0.5}
    settings_help = {
        "base": "the generator whose videos are degraded (any registered name)",
        "kind": "the artifact: " + ", ".join(KINDS),
        "strength": "0 (none) to 1 (most); every kind grows monotonically with it",
        "base.KEY": "any setting KEY of the base generator, passed through (e.g. base.steps=8)",
    }
    usage_notes = (
        "What strength means per kind: flicker, per-frame gain and colour cast (amplitude 0.3 of full scale at "
        "1); color_drift, a linear colour cast reaching 0.5 at the last frame; texture_drift, a blend towards a "
        "blurred copy; jitter, random shifts with std 4 px at 1; freeze, the last strength x (T-1) frames "
        "repeat; drop, a fraction strength/2 of frames dropped, gaps filled by the previous frame; duplicate, a "
        "fraction strength/2 replaced by their predecessor; shuffle, a fraction strength of neighbour pairs "
        "swapped; vanish, the moving foreground disappears for the last strength fraction of the clip. The "
        "first frame is never changed and the artifact's seed is the case seed."
    )

    def __init__(self):
        super().__init__()
        self._base: Generator | None = None

    def base(self, settings) -> Generator:
        from vbench_lite.generators import create_generator

        if self._base is None or self._base.name != settings["base"]:
            if settings["base"] == self.name:
                raise UserError("generator 'degraded' cannot wrap itself")
            self._base = create_generator(settings["base"])
        return self._base

    def resolve_settings(self, given):
        own = {k: v for k, v in given.items() if not k.startswith("base.")}
        out = super().resolve_settings(own)
        if out["kind"] not in KINDS:
            raise UserError(f"degradation kind {out['kind']!r} unknown; choose one of {', '.join(KINDS)}")
        if not 0 <= out["strength"] <= 1:
            raise UserError(f"degradation strength must be in [0, 1], got {out['strength']}")
        base_given = {k[5:]: v for k, v in given.items() if k.startswith("base.")}
        base_settings = self.base(out).resolve_settings(base_given)
        out.update({f"base.{k}": v for k, v in base_settings.items()})
        return out

    def _base_settings(self, settings):
        return {k[5:]: v for k, v in settings.items() if k.startswith("base.")}

    def capabilities_for(self, settings):
        return self.base(settings).capabilities_for(self._base_settings(settings))

    def fingerprint(self, settings):
        return self.base(settings).fingerprint(self._base_settings(settings))

    def seams(self, settings, num_frames):
        return self.base(settings).seams(self._base_settings(settings), num_frames)

    def generate(self, cases, settings):
        videos = self.base(settings).generate(cases, self._base_settings(settings))
        out = []
        for case, v in zip(cases, videos):
            if isinstance(v, Exception):
                out.append(v)
                continue
            frames = degrade_frames(v.frames, settings["kind"], settings["strength"], seed=case.seed)
            meta = dict(v.meta, degradation={"kind": settings["kind"], "strength": settings["strength"]})
            out.append(Video(frames, v.fps, meta))
        return out
