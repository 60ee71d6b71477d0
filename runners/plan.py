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
import re
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
               cases_id: str = "", metric_options: dict | None = None) -> str:
        """Hash of everything that changes a number: generator, resolved settings and
        its fingerprint (checkpoint, video content), suites and their versions, the
        cases' prompts, seeds, each metric's identity (version, options, backbone
        file, protocol) and its options that change numbers and differ from their defaults
        (``metric_options``, resolved: ``metrics.options.identity_options``; a default given
        explicitly is the same run), role and render spec -- and the name, so a named run
        is its own."""
        ident = {
            "name": self.name, "generator": self.generator, "settings": resolved_settings,
            "fingerprint": fingerprint, "suites": suite_versions, "seeds": self.seeds,
            "metrics": metric_ids, "metric_options": metric_options or {}, "role": self.role,
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


MAX_SEEDS = 10_000  # seeds per run: every seed is one video per case, stored and scored
MAX_SEED = 2**32 - 1  # what every generator's RNG takes (seeds are >= 0: -1 marks set-level rows)
MAX_NAME_CHARS = 200  # a run name is shown in tables and titles; report files cut it to 80
_SEED_PART = re.compile(r"^(\d+)\s*(?:-\s*(\d+))?$")


def parse_seeds(text: str) -> list[int]:
    """``"0,1,2"`` or ``"0-4"`` (inclusive) -> list of ints in [0, ``MAX_SEED``], at
    most ``MAX_SEEDS`` of them (checked before any list is built, so ``0-2000000000``
    is one line, not a MemoryError)."""
    usage = f"--seeds {text!r}: expected whole numbers >= 0 like 0,1,2 or 0-4"
    seeds: dict[int, None] = {}
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        m = _SEED_PART.match(part)
        if not m:
            raise UserError(usage)
        lo, hi = int(m.group(1)), int(m.group(2) if m.group(2) is not None else m.group(1))
        if hi < lo:
            raise UserError(f"--seeds {part!r}: the range ends before it starts; write {hi}-{lo}")
        if hi > MAX_SEED:
            raise UserError(f"--seeds {part!r}: seeds go up to {MAX_SEED}")
        if hi - lo + 1 + len(seeds) > MAX_SEEDS:
            raise UserError(f"--seeds {text!r}: over {MAX_SEEDS} seeds, the most a run takes "
                            "(each seed is one video per case)")
        seeds.update(dict.fromkeys(range(lo, hi + 1)))
    if not seeds:
        raise UserError("--seeds: give at least one seed")
    return list(seeds)


def check_name(name: str) -> str:
    """A run name: free text of at most ``MAX_NAME_CHARS`` characters without control
    characters (names appear in one-line messages, tables and report titles; the
    report file name is made from it by ``reports.html.safe_name``, so ``/`` or
    ``..`` in a name never become a path)."""
    if len(name) > MAX_NAME_CHARS:
        raise UserError(f"--name is {len(name)} characters; the limit is {MAX_NAME_CHARS}")
    bad = re.search(r"[\x00-\x1f\x7f]", name)
    if bad:
        raise UserError(f"--name {name[:40]!r} contains control character {bad.group()!r}; remove it")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError(f"--name {name[:40]!r} is not valid UTF-8 text") from None
    return name


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
