"""Probe suites: ``default`` (1 ID + 1 OOD case per scenario = 16 cases),
``probes-id`` and ``probes-ood`` (8 cases per scenario each), ``nightly`` (5 ID + 5 OOD
per scenario: every physics cell judgeable), ``memory`` (the world-model memory scenarios
only: off-screen, revisit, long rollout; 5 ID + 5 OOD each).

A case's world is fixed by (scenario, split, index): the index is the world seed,
so ``parabola-id-003`` is the same physics in every suite and for every generator.
The ``RenderSpec`` a generator declares (frame size, count, fps, conditioning
frames) only sets how that world is observed -- the world, its prompt and the
frames from which it is scored (t >= 0.4 s) follow the protocol of
``vbench_lite.probes.world``. ``protocol_spec()`` is that protocol as a RenderSpec.
Bump ``version`` whenever the world or the ranges change.

Versions: 2 -- worlds no longer depend on the declared spec (in 1 the conditioning
frames moved occlusion's occluder, the clip length changed occlusion, candle and
transfer, and a non-square frame changed every scenario's world height); scoring
starts at 0.4 s for every generator; non-square frames are letterboxed.
"""

from __future__ import annotations

from dataclasses import dataclass

from vbench_lite.case import Case, RenderSpec
from vbench_lite.probes import scenarios as sc
from vbench_lite.probes.world import PROBE_COND_FRAMES, PROBE_FPS, PROBE_FRAMES, PROBE_SIZE, make_truth

SUITE_VERSION = "2"  # the version of the suites of the eight original scenarios (each declares since="2")


def protocol_spec() -> RenderSpec:
    """The probe protocol as a RenderSpec: 64x64, 32 frames at 10 fps, 4 conditioning frames."""
    return RenderSpec(height=PROBE_SIZE, width=PROBE_SIZE, num_frames=PROBE_FRAMES, fps=PROBE_FPS,
                      cond_frames=PROBE_COND_FRAMES)


@dataclass(frozen=True)
class ProbeSuite:
    """A probe suite: every scenario that declares it is part of it (``Scenario.suites``),
    ``per_scenario`` worlds per scenario and split. Its version is the highest ``since``
    of those scenarios, so a scenario that joins or changes bumps it."""

    name: str
    splits: tuple[str, ...]
    per_scenario: int  # cases per scenario and split

    @property
    def scenarios(self) -> tuple[str, ...]:
        return sc.in_suite(self.name)

    @property
    def version(self) -> str:
        return str(max((int(sc.get(n).since) for n in self.scenarios), default=int(SUITE_VERSION)))

    def cases(self, spec: RenderSpec) -> list[Case]:
        """The suite's cases observed as ``spec`` says (the worlds do not depend on it)."""
        out = []
        for scenario in self.scenarios:
            for split in self.splits:
                for i in range(self.per_scenario):
                    truth = make_truth(scenario, split, i, spec.height, spec.width, spec.num_frames,
                                       spec.fps, spec.cond_frames)
                    out.append(Case(  # a long scenario (``Scenario.length``) asks for more frames
                        case_id=f"{scenario}-{split}-{i:03d}", suite=self.name, prompt=truth.prompt,
                        num_frames=truth.num_frames, height=spec.height, width=spec.width, fps=spec.fps,
                        cond_frames=truth.render_cond(), group=scenario, split=split,
                        params=truth.describe(), truth=truth,
                    ))
        return out


def default_suite() -> ProbeSuite:
    return ProbeSuite("default", ("id", "ood"), 1)


def probes_id_suite() -> ProbeSuite:
    return ProbeSuite("probes-id", ("id",), 8)


def probes_ood_suite() -> ProbeSuite:
    return ProbeSuite("probes-ood", ("ood",), 8)


def nightly_suite() -> ProbeSuite:
    """The nightly gate's suite: 5 ID + 5 OOD cases per scenario (80), so every physics
    output has at least ``reports.stats.MIN_CI_UNITS`` (5) cases per split -- enough for
    an interval and a verdict -- at half the cost of probes-id + probes-ood."""
    return ProbeSuite("nightly", ("id", "ood"), 5)


def memory_suite() -> ProbeSuite:
    """World-model memory (scenarios that declare ``memory``: off-screen, revisit, long
    rollout), 5 ID + 5 OOD cases each, enough for an interval per split. Not part of
    ``default``: a long rollout asks for 4 clips' span of frames (125 at the protocol)."""
    return ProbeSuite("memory", ("id", "ood"), 5)
