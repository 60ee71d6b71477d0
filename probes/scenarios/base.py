"""What a probe scenario declares, and the pieces scenarios share.

A scenario is one declaration (``Scenario``) in its own module of this package:
parameter ranges in and out of distribution, the builder that samples a ``Scene``,
one line on what it tests, and the *features* its world holds. Features are the one
vocabulary between scenarios and everything that reads them: physics metrics apply
where the features they need are present (``metrics.physics``), conservation scores
the conserved quantities a world declares (``metrics.physics_scores``), and
perturbations act on what is there (``probes.perturb``). No code outside a
scenario's own module names a scenario.

Ranges follow the PhyWorld setup of Kang et al. 2024 ("How far is video generation
from world model", arXiv:2411.02385): velocity ID [1, 4], OOD [0, 0.8] U [4.5, 6]
world units/s; radius ID [0.7, 1.4]; a 10-unit-wide world, 32 frames of 0.1 s.
Where a scenario cannot fit those ranges in a 10-unit frame it declares its own,
with the reason, in its module.

Units: lengths in world units, speeds and rates in world units/s, gravity in
world units/s^2, angles in degrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

SPLITS = ("id", "ood")

# --- features: what a world holds (read by metrics, conservation and perturbations)
BALLS = "balls"  # balls with trajectories: velocity, position, size and colour are scored
OCCLUDER = "occluder"  # the main ball passes behind an occluder and must come back (permanence)
COUNT = "count"  # the number of balls is conserved
AREA = "area"  # the total ball area is conserved
MOMENTUM = "momentum"  # total momentum is conserved (elastic two-ball collision)
ENERGY = "energy"  # total kinetic energy is conserved
LEVELS = "levels"  # levels (a candle's height, liquid) change steadily
LEVEL_TOTAL = "level_total"  # the sum of the levels is conserved (liquid moves, none is lost)
OFFSCREEN = "offscreen"  # the main ball leaves the view, keeps moving unseen and must come back (permanence)
REVISIT = "revisit"  # the camera pans away and back: the static scene and the balls must be as physics says
ROLLOUT = "rollout"  # a long clip (``Scenario.length`` protocol clips): errors are followed as they grow
FEATURES = frozenset({BALLS, OCCLUDER, COUNT, AREA, MOMENTUM, ENERGY, LEVELS, LEVEL_TOTAL, OFFSCREEN, REVISIT,
                      ROLLOUT})

# the standard probe suites a scenario is part of unless it says otherwise
STANDARD_SUITES = ("default", "probes-id", "probes-ood", "nightly")

# name -> RGB; ball colours are far apart (>= ~120 in RGB) so the parser can tell them apart
BALL_COLORS: dict[str, tuple[int, int, int]] = {
    "red": (230, 50, 60), "green": (50, 200, 70), "blue": (60, 100, 245), "yellow": (240, 210, 40),
    "magenta": (215, 60, 215), "cyan": (40, 205, 215), "white": (235, 235, 235),
}
OCCLUDER_COLOR = (120, 120, 120)
CONTAINER_COLOR = (70, 70, 85)
LIQUID_COLOR = (40, 130, 235)
CANDLE_COLOR = (235, 200, 150)
# static landmarks of a scene the camera revisits: muted, so their anti-aliased edges over the
# dark background never pass for a ball (each is >= ~105 in RGB from every ball colour)
LANDMARK_COLORS = ((110, 80, 40), (80, 60, 130), (40, 100, 100), (150, 150, 150))

GRAVITY = 2.5  # units/s^2: a 3.2 s clip keeps a thrown ball's arc inside a 10-unit frame

SPEED = {"id": [(1.0, 4.0)], "ood": [(0.0, 0.8), (4.5, 6.0)]}
RADIUS = {"id": [(0.7, 1.4)], "ood": [(0.4, 0.6), (1.5, 1.8)]}

Ranges = dict[str, dict[str, list[tuple[float, float]]]]  # parameter -> split -> union of (lo, hi)
# (rng, params, world height, duration s, last conditioning time s) -> (scene, params, prompt)
Builder = Callable[..., tuple]


@dataclass(frozen=True)
class Scenario:
    """One probe scenario, declared once.

    ``order``: its place in a suite's case order (case ids and suite contents follow it).
    ``features``: what its world holds (the names above). ``suites``: the probe suites
    it is part of. ``since``: the probe-suite version in which it last changed -- a
    suite's version is the highest ``since`` of its scenarios, so a new or changed
    scenario bumps every suite it joins. ``integer``: parameters drawn as integers. ``length``:
    the clip's length in protocol clips (3.1 s each): the world is sampled for that long and
    a generator making n-frame clips is asked for ``length * (n - 1) + 1`` frames at its fps."""

    name: str
    order: int
    tests: str
    ranges: Ranges
    builder: Builder
    features: frozenset[str]
    suites: tuple[str, ...] = STANDARD_SUITES
    since: str = "2"
    integer: frozenset[str] = frozenset()
    length: int = 1

    def __post_init__(self):
        if not (isinstance(self.length, int) and self.length >= 1):
            raise ValueError(f"scenario {self.name!r}: length is a whole number of protocol clips >= 1, "
                             f"got {self.length!r}")
        unknown = set(self.features) - FEATURES
        if unknown:
            raise ValueError(f"scenario {self.name!r} declares unknown features {sorted(unknown)}; "
                             f"known: {', '.join(sorted(FEATURES))}")
        for param, by_split in self.ranges.items():
            if set(by_split) != set(SPLITS):
                raise ValueError(f"scenario {self.name!r} parameter {param!r} needs ranges for {SPLITS}")

    def draw_params(self, split: str, rng: np.random.Generator) -> dict:
        p = {k: draw(rng, v[split], integer=k in self.integer) for k, v in self.ranges.items()}
        for k in self.integer:
            p[k] = int(p[k])
        p["split"] = split
        return p


def draw(rng: np.random.Generator, intervals: list[tuple[float, float]], integer: bool = False) -> float:
    """Uniform over a union of intervals (chosen in proportion to their length)."""
    lengths = np.array([hi - lo + (1 if integer else 0) for lo, hi in intervals], float)
    k = rng.choice(len(intervals), p=lengths / lengths.sum())
    lo, hi = intervals[k]
    return float(rng.integers(lo, hi + 1)) if integer else float(rng.uniform(lo, hi))


def colors(rng: np.random.Generator, n: int) -> tuple[list[str], np.ndarray]:
    names = [str(c) for c in rng.choice(list(BALL_COLORS), size=n, replace=False)]
    return names, np.array([BALL_COLORS[c] for c in names], float)


def direction(rng) -> float:
    return 1.0 if rng.random() < 0.5 else -1.0
