"""``degraded``: wrap any generator and inject one controlled, seeded artifact.

``--generator degraded --set base=simulator --set kind=flicker --set strength=0.3``;
settings of the wrapped generator pass through with a ``base.`` prefix
(``--set base.steps=8``). The artifact's seed is the case seed, so a degraded video
is reproducible. See ``vbench_lite.generators.degrade`` for the kinds and what
``strength`` (0..1) means for each.
"""

from __future__ import annotations

from vbench_lite.errors import UserError
from vbench_lite.generators.base import Generator
from vbench_lite.generators.degrade import KINDS, degrade_frames
from vbench_lite.video import Video


class DegradedGenerator(Generator):
    name = "degraded"
    settings = {"base": "simulator", "kind": "flicker", "strength": 0.5}

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
