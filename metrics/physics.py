"""Physics metrics: thin objects wiring the pure scores of ``physics_scores`` to the runner.

All six need the simulator ground truth (``case.truth``, a ``ProbeTruth``) and
share one parse of the video through ``ctx.get("probe_parse", ...)``.
Each applies where the case's scenario declares a feature it needs (``features``:
any of them; the vocabulary is ``probes.scenarios.base``); the runner records the
others as skipped with that reason, naming the scenarios it applies to.
"""

from __future__ import annotations

from typing import ClassVar

from vbench_lite.errors import VideoError
from vbench_lite.metrics import memory_scores as ms
from vbench_lite.metrics import physics_scores as ps
from vbench_lite.metrics.base import HIGHER, LOWER, NEEDS_TRUTH, Metric, MetricSkipped, Output, Score, VideoContext

from vbench_lite.probes import scenarios as sc


def probe_parse(video, case, ctx: VideoContext):
    """The parse of this video, computed once per video and shared by all physics metrics."""
    from vbench_lite.probes.parse import parse_video  # the probes package is only needed here

    truth = case.truth
    if video.num_frames != truth.num_frames:
        raise VideoError(f"{case.case_id}: video has {video.num_frames} frames but the probe has "
                         f"{truth.num_frames}; generate the case's frame count")
    # a non-square frame shows the square world letterboxed: read the world's square only
    return ctx.get("probe_parse", lambda: parse_video(*truth.world_window(video.frames)))


# the physics metrics, by registry name (what the parse floor is made of)
PHYSICS_METRICS = ("velocity_error", "position_error", "permanence", "conservation", "monotone_change",
                   "shape_drift")


class _PhysicsMetric(Metric):
    group: ClassVar[str] = "physics"
    needs: ClassVar[frozenset[str]] = frozenset({NEEDS_TRUTH})
    features: ClassVar[frozenset[str]] = frozenset({sc.BALLS})  # applies where a scenario holds any of these

    def applies_to(self, case) -> str | None:
        reason = super().applies_to(case)
        if reason:
            return reason
        scenario = getattr(case.truth, "scenario", None)
        if scenario is None:
            return "needs a physics-probe case (vbench_lite.probes)"
        if not sc.features(scenario) & self.features:
            only = sorted(sc.with_features(self.features))
            return f"{self.name} does not apply to scenario {scenario!r} (only {', '.join(only)})"
        return None

    def _parse(self, video, case, ctx):
        reason = self.applies_to(case)
        if reason:
            raise MetricSkipped(reason)
        return probe_parse(video, case, ctx)


_FAIL = Output("detection_failure_rate", "fraction", LOWER,
               "share of frames after conditioning where a ball in view was not found")


class VelocityError(_PhysicsMetric):
    name = "velocity_error"
    outputs = (Output("velocity_error", "world units/s", LOWER,
                      "mean |v - v_true| after the conditioning frames, ball in view (Kang et al. 2024)"), _FAIL)

    def compute(self, video, case, ctx):
        parse = self._parse(video, case, ctx)
        value, timeline = ps.velocity_error(parse, case.truth)
        return {"velocity_error": Score(value, timeline),
                "detection_failure_rate": ps.detection_failure_rate(parse, case.truth)}


class PositionError(_PhysicsMetric):
    name = "position_error"
    outputs = (Output("position_error", "world units", LOWER,
                      "mean |p - p_true| after the conditioning frames, ball in view"),
               Output("position_error_growth", "world units/s", LOWER,
                      "slope of the per-frame position error over time (long rollouts): how fast errors pile up"))

    def compute(self, video, case, ctx):
        value, timeline = ps.position_error(self._parse(video, case, ctx), case.truth)
        out = {"position_error": Score(value, timeline)}
        if sc.ROLLOUT in sc.features(case.truth.scenario):
            out["position_error_growth"] = ms.error_growth(timeline, case.truth)
        return out


class Permanence(_PhysicsMetric):
    """What went unseen comes back as it was: a ball behind an occluder (``occluder``) or
    out of the view (``offscreen``), a place the camera left and revisits (``revisit``)."""

    name = "permanence"
    features = frozenset({sc.OCCLUDER, sc.OFFSCREEN, sc.REVISIT})
    outputs = (
        Output("permanence", "fraction", HIGHER,
               "share of frames after the true re-emergence where the ball is back at the right place, "
               "colour and size"),
        Output("reemergence_delay", "s", LOWER, "|detected - true| re-emergence time, censored at clip end"),
        Output("reemergence_position_error", "world units", LOWER, "position error when it re-emerges"),
        Output("reemergence_identity", "fraction", HIGHER,
               "share of frames after re-entering the view where the ball has its colour and size (off-screen)"),
        Output("revisit_static_error", "RGB 0-255", LOWER,
               "mean |pixel - first visit| of the static scene once the camera is back"),
        Output("revisit_static_truth_error", "RGB 0-255", LOWER,
               "mean |pixel - truth| of the static scene once the camera is back"),
        Output("revisit_position_error", "world units", LOWER, "mean |p - p_true| of the balls once the camera is back"),
        Output("revisit_balls_found", "fraction", HIGHER, "share of balls in view found once the camera is back"),
    )

    def compute(self, video, case, ctx):
        parse = self._parse(video, case, ctx)
        feats = sc.features(case.truth.scenario)
        out: dict[str, Score | float] = {}
        try:
            if feats & {sc.OCCLUDER, sc.OFFSCREEN}:
                out.update(ps.permanence(parse, case.truth))
            if sc.REVISIT in feats:
                frames, truth = case.truth.world_window(video.frames)
                out.update(ms.revisit(parse, truth, frames, truth.render()))
        except ValueError as exc:  # e.g. a clip too short for the ball (or the camera) to come back
            raise MetricSkipped(str(exc)) from None
        return out


class Conservation(_PhysicsMetric):
    name = "conservation"
    version = "2"  # 2: bounded relative errors (physics_scores.bounded_relative); 1 divided by the truth alone
    features = frozenset({sc.COUNT, sc.AREA, sc.MOMENTUM, sc.ENERGY, sc.LEVEL_TOTAL})
    outputs = (
        Output("count_error", "fraction", LOWER, "|n - N| / (n + N) over frames with every ball in view"),
        Output("area_error", "fraction", LOWER, "bounded relative error of the total ball area"),
        Output("momentum_error", "fraction", LOWER, "|P - P_true| / (|P| + |P_true| + sum(m) V_REF) (collision)"),
        Output("energy_error", "fraction", LOWER, "|E - E_true| / (E + E_true + sum(m) V_REF^2 / 2) (collision)"),
        Output("level_error", "fraction", LOWER, "bounded relative error of the total liquid level (transfer)"),
    )

    def compute(self, video, case, ctx):
        out = ps.conservation(self._parse(video, case, ctx), case.truth)
        if not out:
            raise MetricSkipped("no frame after conditioning with every ball in view")
        return out


class MonotoneChange(_PhysicsMetric):
    name = "monotone_change"
    features = frozenset({sc.LEVELS})
    outputs = (
        Output("monotone_fraction", "fraction", HIGHER, "share of steps where the level moves the right way"),
        Output("rate_error", "world units/s", LOWER, "|fitted rate - true rate| of the level"),
    )

    def compute(self, video, case, ctx):
        return ps.monotone_change(self._parse(video, case, ctx), case.truth)


class ShapeDrift(_PhysicsMetric):
    name = "shape_drift"
    version = "2"  # 2: bounded relative size error |r - r_ref| / (r + r_ref); 1 divided by r_ref
    outputs = (
        Output("size_drift", "fraction", LOWER, "mean |r - r_ref| / (r + r_ref) after conditioning"),
        Output("color_drift", "RGB 0-255", LOWER, "mean colour distance to the conditioning-frame colour"),
    )

    def compute(self, video, case, ctx):
        values, timeline = ps.shape_drift(self._parse(video, case, ctx), case.truth)
        return {"size_drift": Score(values["size_drift"], timeline), "color_drift": values["color_drift"]}
