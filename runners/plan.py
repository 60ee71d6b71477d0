"""Planning: suites x cases x seeds x a settings grid -> run specs.

A ``RunSpec`` is one generator with one set of settings over some suites and seeds.
``--sweep k=v1,v2`` expands into one spec per grid point, all sharing a sweep id.
A run's id is a hash of everything that defines it, so re-running the same command
finds the same run and resumes it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from vbench_lite.case import RenderSpec
from vbench_lite.errors import UserError
from vbench_lite.store import EVAL_ROLE


@dataclass
class RunSpec:
    generator: str
    settings: dict[str, Any] = field(default_factory=dict)  # as given (strings from the CLI)
    suites: list[str] = field(default_factory=lambda: ["default"])
    seeds: list[int] = field(default_factory=lambda: [0])
    metrics: list[str] | None = None  # None = the default metric set
    metric_options: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> constructor kwargs
    name: str = ""
    sweep: str | None = None
    role: str = EVAL_ROLE  # or store.FLOOR_ROLE for the simulator oracle scored beside a run
    render: RenderSpec | None = None  # force a render spec (floor runs match their run)

    def run_id(self, resolved_settings: dict, fingerprint: str, suite_versions: dict, metric_ids: dict,
               cases_id: str = "") -> str:
        """Hash of everything that changes a number: generator, resolved settings and
        its fingerprint (checkpoint, video content), suites and their versions, the
        cases' prompts, seeds, each metric's identity (version, options, backbone
        file, protocol), role and render spec -- and the name, so a named run is its own."""
        ident = {
            "name": self.name, "generator": self.generator, "settings": resolved_settings,
            "fingerprint": fingerprint, "suites": suite_versions, "seeds": self.seeds,
            "metrics": metric_ids, "metric_options": self.metric_options, "role": self.role,
            "render": None if self.render is None else self.render.__dict__, "cases": cases_id,
        }
        blob = json.dumps(ident, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


def parse_assignments(items: list[str] | None, *, what: str = "--set") -> dict[str, str]:
    """``["k=v", ...]`` -> ``{k: v}`` with a clear error for a missing ``=``."""
    out: dict[str, str] = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise UserError(f"{what} {item!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def parse_metric_options(items: list[str] | None) -> dict[str, dict[str, str]]:
    """``["fvd.reference_dir=/data/real"]`` -> ``{"fvd": {"reference_dir": "/data/real"}}``."""
    out: dict[str, dict[str, str]] = {}
    for key, value in parse_assignments(items, what="--metric-set").items():
        metric, dot, option = key.partition(".")
        if not dot or not option:
            raise UserError(f"--metric-set {key}={value}: expected METRIC.OPTION=VALUE")
        out.setdefault(metric, {})[option] = value
    return out


def parse_sweep(items: list[str] | None) -> dict[str, list[str]]:
    """``["steps=4,8,16"]`` -> ``{"steps": ["4", "8", "16"]}``."""
    grid = {}
    for key, values in parse_assignments(items, what="--sweep").items():
        vals = [v.strip() for v in values.split(",") if v.strip()]
        if not vals:
            raise UserError(f"--sweep {key}=: give at least one value")
        grid[key] = vals
    return grid


def parse_seeds(text: str) -> list[int]:
    """``"0,1,2"`` or ``"0-4"`` (inclusive) -> list of ints."""
    seeds: list[int] = []
    try:
        for part in str(text).split(","):
            part = part.strip()
            if "-" in part[1:]:
                lo, hi = part.split("-", 1) if not part.startswith("-") else (part, part)
                seeds.extend(range(int(lo), int(hi) + 1))
            elif part:
                seeds.append(int(part))
    except ValueError:
        raise UserError(f"--seeds {text!r}: expected integers like 0,1,2 or 0-4") from None
    if not seeds:
        raise UserError("--seeds: give at least one seed")
    return list(dict.fromkeys(seeds))


def expand(base: RunSpec, grid: dict[str, list[str]]) -> list[RunSpec]:
    """One spec per point of the sweep grid (the base spec alone when empty)."""
    if not grid:
        return [base]
    keys = sorted(grid)
    sweep_id = hashlib.sha256(json.dumps([base.generator, base.settings, grid], sort_keys=True).encode()).hexdigest()[:8]
    specs = []
    for values in itertools.product(*(grid[k] for k in keys)):
        point = dict(zip(keys, values))
        label = ",".join(f"{k}={v}" for k, v in point.items())
        specs.append(RunSpec(
            generator=base.generator, settings={**base.settings, **point}, suites=base.suites,
            seeds=base.seeds, metrics=base.metrics, metric_options=base.metric_options,
            name=f"{base.name or base.generator}[{label}]", sweep=f"sweep-{sweep_id}", role=base.role,
            render=base.render,
        ))
    return specs
