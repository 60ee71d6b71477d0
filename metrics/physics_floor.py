"""The parse floor: physics scores of the simulator's own (optionally perturbed) render.

``floor_table`` scores every case of a probe suite with the six physics metrics
and averages each output per (scenario, split). With ``perturb="none"`` this is
the floor every report shows: the error of reading ground truth back.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from vbench_lite.metrics.base import MetricSkipped, VideoContext, as_score

PHYSICS_METRICS = ("velocity_error", "position_error", "permanence", "conservation", "monotone_change",
                   "shape_drift")


def floor_table(cases, perturb: str = "none", strength: float = 0.0) -> list[dict]:
    """Rows ``{"scenario", "split", "cases", <output>: mean, ...}`` sorted by scenario, split."""
    from vbench_lite.metrics import METRICS
    from vbench_lite.probes.perturb import perturb as apply
    from vbench_lite.video import Video

    metrics = [METRICS.get(n)() for n in PHYSICS_METRICS]
    acc: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for case in cases:
        key = (case.group, case.split)
        counts[key] += 1
        video = Video(apply(case.truth, perturb, strength).render(), case.fps)
        ctx = VideoContext(video, case)
        for m in metrics:
            if m.applies_to(case):
                continue
            try:
                out = m.compute(video, case, ctx)
            except MetricSkipped:
                continue
            for name, value in out.items():
                acc[key][name].append(as_score(value).value)
    rows = []
    for key in sorted(acc, key=lambda k: (k[0], k[1])):
        row = {"scenario": key[0], "split": key[1], "cases": counts[key]}
        for name, values in acc[key].items():
            v = np.asarray(values, float)
            row[name] = float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
        rows.append(row)
    return rows
