"""Probe suites: ``default`` (1 ID + 1 OOD case per scenario = 16 cases),
``probes-id`` and ``probes-ood`` (8 cases per scenario each).

A case's world is fixed by (scenario, split, index): the index is the world seed,
so ``parabola-id-003`` is the same physics in every suite and at every
resolution. Bump ``version`` whenever the world or the ranges change.
"""

from __future__ import annotations

from dataclasses import dataclass

from vbench_lite.case import Case, RenderSpec
from vbench_lite.probes.world import SCENARIOS, make_truth

SUITE_VERSION = "1"


@dataclass(frozen=True)
class ProbeSuite:
    name: str
    version: str
    splits: tuple[str, ...]
    per_scenario: int  # cases per scenario and split
    scenarios: tuple[str, ...] = SCENARIOS

    def cases(self, spec: RenderSpec) -> list[Case]:
        out = []
        for scenario in self.scenarios:
            for split in self.splits:
                for i in range(self.per_scenario):
                    truth = make_truth(scenario, split, i, spec.height, spec.width, spec.num_frames,
                                       spec.fps, spec.cond_frames)
                    out.append(Case(
                        case_id=f"{scenario}-{split}-{i:03d}", suite=self.name, prompt=truth.prompt,
                        num_frames=spec.num_frames, height=spec.height, width=spec.width, fps=spec.fps,
                        cond_frames=truth.render_cond(), group=scenario, split=split,
                        params=truth.describe(), truth=truth,
                    ))
        return out


def default_suite() -> ProbeSuite:
    return ProbeSuite("default", SUITE_VERSION, ("id", "ood"), 1)


def probes_id_suite() -> ProbeSuite:
    return ProbeSuite("probes-id", SUITE_VERSION, ("id",), 8)


def probes_ood_suite() -> ProbeSuite:
    return ProbeSuite("probes-ood", SUITE_VERSION, ("ood",), 8)
