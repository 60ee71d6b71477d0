"""Metrics: pure functions plus thin metric objects (see ``base``).

Import as ``vbench_lite.metrics``. Every metric is registered here by name with a
lazy ``"module:Class"`` target; ``available_metrics()`` instantiates the ones whose
modules import, and reports why the others cannot run.
"""

from __future__ import annotations

from vbench_lite.metrics.base import (
    Metric, MetricSkipped, Output, Score, SetMetric, VideoContext,
)
from vbench_lite.registry import Registry

METRICS: Registry = Registry("metric")
# temporal consistency
METRICS.register("warping_error", "vbench_lite.metrics.warping:WarpingError")
METRICS.register("motion", "vbench_lite.metrics.motion:Motion")
METRICS.register("flicker", "vbench_lite.metrics.flicker:Flicker")
METRICS.register("motion_smoothness", "vbench_lite.metrics.smoothness:MotionSmoothness")
METRICS.register("identity_drift", "vbench_lite.metrics.identity:IdentityDrift")
METRICS.register("identity_drift_dino", "vbench_lite.metrics.identity_backbones:IdentityDriftDino")
METRICS.register("identity_drift_clip", "vbench_lite.metrics.identity_backbones:IdentityDriftClip")
METRICS.register("clip_consistency", "vbench_lite.metrics.clip_consistency:ClipConsistency")
METRICS.register("vbench_subject_consistency", "vbench_lite.metrics.vbench_consistency:VBenchSubjectConsistency")
METRICS.register("vbench_background_consistency", "vbench_lite.metrics.vbench_consistency:VBenchBackgroundConsistency")
METRICS.register("fvd", "vbench_lite.metrics.fvd:FVD")
METRICS.register("video_kd", "vbench_lite.metrics.video_distance:VideoKernelDistance")
METRICS.register("video_fd", "vbench_lite.metrics.video_distance:VideoFrechetDistance")
METRICS.register("physics_iq", "vbench_lite.metrics.physics_iq_metric:PhysicsIQ")  # needs reference_dir or probes
# VBench's dimensions under their names, computed as vbench 0.1.x does
METRICS.register("vbench_temporal_flickering", "vbench_lite.metrics.vbench_dims:VBenchTemporalFlickering")
METRICS.register("vbench_dynamic_degree", "vbench_lite.metrics.vbench_dims:VBenchDynamicDegree")
METRICS.register("vbench_motion_smoothness", "vbench_lite.metrics.vbench_smoothness:VBenchMotionSmoothness")
# physics (need simulator ground truth)
METRICS.register("velocity_error", "vbench_lite.metrics.physics:VelocityError")
METRICS.register("position_error", "vbench_lite.metrics.physics:PositionError")
METRICS.register("permanence", "vbench_lite.metrics.physics:Permanence")
METRICS.register("conservation", "vbench_lite.metrics.physics:Conservation")
METRICS.register("monotone_change", "vbench_lite.metrics.physics:MonotoneChange")
METRICS.register("shape_drift", "vbench_lite.metrics.physics:ShapeDrift")


def load_metrics(names: list[str] | None = None,
                 options: dict[str, dict[str, str]] | None = None) -> tuple[list[Metric], dict[str, str]]:
    """Instantiate metrics by name (default: every metric marked ``default``).

    ``options`` maps a metric name to its options as given (text from the CLI's
    ``--metric-set fvd.reference_dir=DIR``); each is resolved against the metric's
    declared ``options`` (``metrics.options``: typed, checked, defaults filled) before the
    metric is built, so a bad option is one line. A metric outside the default set that
    is given options runs too. Returns ``(metrics, skipped)`` where
    ``skipped`` maps a metric name to the reason it cannot run here (module missing,
    backbone missing, ...). Unknown names given explicitly raise ``UserError`` with a
    suggestion.
    """
    from vbench_lite.metrics.options import resolve

    options = options or {}
    resolved = {}
    for name, given in options.items():  # every option checked, the metric run or not
        cls = METRICS.get(name)  # an unknown name gets "did you mean"
        resolved[name] = resolve(name, cls, given)
    explicit = names is not None
    metrics, skipped = [], {}
    for name in (names if explicit else METRICS.names()):
        try:
            cls = METRICS.get(name)
        except ImportError as exc:
            skipped[name] = f"not installed ({exc})"
            continue
        if not explicit and not getattr(cls, "default", True) and name not in options:
            continue  # a metric outside the default set runs when named or configured (--metric-set)
        values = resolved.get(name) or resolve(name, cls, None)  # declared options, typed and checked once
        metric = cls(**values)
        metric.resolved_options = values  # what enters the run's identity (options.identity_options)
        reason = metric.unavailable_reason()
        if reason:
            skipped[name] = reason
        else:
            metrics.append(metric)
    return metrics, skipped


def declared_output_names() -> set[str]:
    """Every output name any registered metric declares (modules that cannot be
    imported here are left out)."""
    names: set[str] = set()
    for name in METRICS.names():
        try:
            names.update(o.name for o in METRICS.get(name).outputs)
        except ImportError:
            continue
    return names


__all__ = [
    "METRICS", "Metric", "MetricSkipped", "Output", "Score", "SetMetric", "VideoContext",
    "declared_output_names", "load_metrics",
]
