"""Metric objects: thin declarations around pure functions.

A ``Metric`` scores one video (with its case and, for physics, ground truth) and
returns one ``Score`` per declared ``Output``. A ``SetMetric`` (FVD) maps each video
to a feature row that the runner stores, and turns a set of rows plus a reference
set into one number; it never holds videos in memory. It may also report per-video
outputs (``item_scores``: Physics-IQ's measures beside its run score).

``VideoContext`` memoises work shared between metrics of one video (optical flow
above all), so flow is computed once per video however many metrics use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterable

import numpy as np

# what a metric may need besides the video itself
NEEDS_TRUTH = "truth"  # ground truth from the physics probes (case.truth)
NEEDS_PROMPT = "prompt"  # a text prompt
NEEDS_REFERENCE = "reference"  # a reference set of videos (FVD)
NEEDS_BACKBONE = "backbone"  # pretrained weights resolved by the weights manager


# directions of an output (``Output.higher_is_better``)
HIGHER = True  # higher is better
LOWER = False  # lower is better
UNDIRECTED = None  # no better side (amount of motion, a signed slope): shown, never judged


@dataclass(frozen=True)
class Output:
    """One number a metric reports. This declaration is the only source of an
    output's meaning: the runner copies it into the store, reports, the gate, plots
    and tests read it from there instead of guessing.

    ``units`` e.g. "px/frame", "world units", "fraction", "mse [0,1]^2".
    ``higher_is_better``: ``HIGHER``, ``LOWER`` or ``UNDIRECTED`` (None): outputs
    without a direction are shown but never judged, gated or used for a Pareto front.
    ``motion_confounded``: the output improves trivially when the video moves less
    (a frozen clip has no flicker and no warping error); a comparison that finds it
    better together with significantly less motion calls that a trade-off.
    ``measures_motion``: this output is the amount of motion that trade-off refers to.
    """

    name: str
    units: str
    higher_is_better: bool | None
    description: str = ""
    motion_confounded: bool = False
    measures_motion: bool = False

    def __post_init__(self):
        if self.higher_is_better not in (HIGHER, LOWER, UNDIRECTED):
            raise TypeError(f"output {self.name}: higher_is_better must be True, False or None")


@dataclass
class Score:
    """A value plus an optional per-frame timeline (to locate where a video breaks)."""

    value: float
    timeline: np.ndarray | None = None


class MetricSkipped(Exception):
    """Raised by ``compute`` when the metric does not apply to this item; the
    message is stored as the reason (e.g. "needs ground truth", "static scene")."""


class VideoContext:
    """Per-video memo of shared intermediates: ``ctx.get("flow:dis", compute_fn)``."""

    def __init__(self, video, case=None):
        self.video = video
        self.case = case
        self._memo: dict[str, Any] = {}

    def get(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = fn()
        return self._memo[key]


class Metric:
    """Per-video metric. Subclasses set the class attributes and ``compute``."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    group: ClassVar[str] = "temporal"  # "temporal" or "physics"
    needs: ClassVar[frozenset[str]] = frozenset()
    backbone: ClassVar[str | None] = None  # weights-manager id, e.g. "clip-vit-b-32"
    outputs: ClassVar[tuple[Output, ...]] = ()
    default: ClassVar[bool] = True  # part of the default metric set

    def unavailable_reason(self) -> str | None:
        """Why this metric cannot run on this machine (missing backbone), or None.
        Must be fast and never download."""
        return None

    def applies_to(self, case) -> str | None:
        """Why this metric does not apply to ``case`` (e.g. no ground truth), or None."""
        if NEEDS_TRUTH in self.needs and (case is None or case.truth is None):
            return "needs simulator ground truth"
        if NEEDS_PROMPT in self.needs and (case is None or not case.prompt):
            return "needs a prompt"
        return None

    def compute(self, video, case, ctx: VideoContext) -> dict[str, Score | float]:
        raise NotImplementedError

    def accumulator(self, case):
        """A ``metrics.stream.Accumulator`` that scores a video fed window by window, with
        the numbers of ``compute`` (``set`` metrics: of ``features`` and ``item_scores``);
        None (the default): this metric needs the whole video, which the streaming runner
        then holds for it (within the frame budget, ``vbench_lite.io.max_frames``)."""
        return None

    def identity(self) -> dict[str, Any]:
        """Everything about this metric object that changes its numbers (part of a
        run's identity): the version, plus what subclasses add -- a backbone file's
        checksum, a flow backend, a protocol. Constructor options are in the run's
        identity already (``RunSpec.metric_options``)."""
        return {"version": self.version}

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name, "version": self.version, "group": self.group,
            "needs": sorted(self.needs), "backbone": self.backbone,
            "outputs": [o.__dict__ for o in self.outputs],
        }


class SetMetric(Metric):
    """Set-level metric with mergeable statistics (FVD).

    ``features(video, case, ctx)`` returns a 1-D float array per video, which the
    runner stores so a resumed or sharded run never recomputes it;
    ``compute_set(features, reference_features)`` returns the scores.
    ``reference_features(cases)`` builds the reference set (e.g. simulator truth).
    """

    def features(self, video, case, ctx: VideoContext) -> np.ndarray:
        raise NotImplementedError

    def reference_features(self, cases: Iterable) -> np.ndarray | None:
        return None

    def item_scores(self, video, case, ctx: VideoContext) -> dict[str, Score | float]:
        """Per-video outputs a set-level metric also reports (Physics-IQ's four measures
        beside its run score), called after ``features`` with the same ``ctx``; none by default."""
        return {}

    def compute_set(self, features: np.ndarray, reference: np.ndarray) -> dict[str, Score | float]:
        raise NotImplementedError


def check_batch(batch) -> int:
    """A metric's ``batch`` option (frames or clips per forward pass of a backbone; it
    trades memory for speed and never changes the numbers beyond float rounding) as an
    int >= 1; options from the command line arrive as text."""
    from vbench_lite.errors import UserError

    try:
        value = int(str(batch).strip())
    except ValueError:
        value = 0
    if value < 1:
        raise UserError(f"batch must be a whole number >= 1 (frames or clips per forward pass), got {batch!r}")
    return value


def as_score(value: Score | float) -> Score:
    return value if isinstance(value, Score) else Score(float(value))
