"""The ``simulator`` generator: the oracle that returns the ground-truth render of
a physics probe (``vbench_lite.probes``).

Scoring it gives the *parse floor* of every physics score. Its ``perturb`` and
``strength`` settings inject a controlled physical error (see
``vbench_lite.probes.perturb``), which proves that the scores move the right way.
"""

from __future__ import annotations

from typing import Any

from vbench_lite.case import PROTOCOL, Case
from vbench_lite.errors import GeneratorError, UserError
from vbench_lite.generators.base import Capabilities, Generator
from vbench_lite.probes.perturb import PERTURBATIONS, perturb
from vbench_lite.probes.truth import ProbeTruth
from vbench_lite.video import Video


class SimulatorGenerator(Generator):
    name = "simulator"
    settings: dict[str, Any] = {"perturb": "none", "strength": 0.0}
    settings_help = {
        "perturb": "a controlled physical error after the conditioning frames: " + ", ".join(PERTURBATIONS)
                   + " (none = the exact ground truth, the floor)",
        "strength": "how much of it, >= 0 (0..1 for vanish and drop; 0 = exact)",
    }
    usage_notes = (
        "Renders only physics probe cases (suites default, probes-id, probes-ood, nightly). perturb: speed, time runs "
        "1 + strength times faster; vanish, the main ball disappears for the last strength fraction of the "
        "frames; recolor, ball colours drift (35% of a channel rotation at strength 1); resize, radii grow to "
        "(1 + 0.5 x strength); drop, the last ball is removed for the last strength fraction."
    )

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(text=True, cond_frames=PROTOCOL.cond_frames, resolution=None, num_frames=None, max_batch=256)

    def resolve_settings(self, given: dict[str, Any]) -> dict[str, Any]:
        """Defaults merged and checked up front, so a typo fails before any work."""
        out = super().resolve_settings(given)
        if out["perturb"] not in PERTURBATIONS:
            raise UserError(f"simulator perturb={out['perturb']!r}: choose one of {', '.join(PERTURBATIONS)}")
        if not (out["strength"] >= 0) or (out["perturb"] in ("vanish", "drop") and out["strength"] > 1):
            raise UserError(f"simulator strength={out['strength']!r}: use >= 0 (0..1 for vanish and drop)")
        return out

    def generate(self, cases: list[Case], settings: dict[str, Any]) -> list[Video | Exception]:
        kind, strength = settings["perturb"], settings["strength"]  # resolved and checked once
        out: list[Video | Exception] = []
        for case in cases:
            if not isinstance(case.truth, ProbeTruth):
                out.append(GeneratorError(
                    f"case {case.case_id}: the simulator only renders physics probes "
                    "(use a probes suite such as 'default' or 'probes-id')"))
                continue
            truth = perturb(case.truth, kind, strength)  # UserError on a bad setting: fails the batch
            out.append(Video(truth.render(), fps=case.fps, meta={"perturb": kind, "strength": strength}))
        return out
