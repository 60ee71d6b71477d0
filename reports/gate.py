"""The regression gate: did any output get significantly worse beyond its threshold?

An output *regresses* when, in the paired comparison baseline -> candidate
(``compare.compare_runs``, Bonferroni-corrected across outputs), both hold:

1. its interval excludes 0 on the worse side (verdict "worse"): not noise;
2. ``|diff|`` exceeds its tolerance ``max(abs, rel * |baseline mean|)``: big enough to
   matter. Every tolerance that is set must be exceeded.

or its *coverage* (share of the relevant items it could be scored on) is
significantly lower and dropped by more than ``coverage`` (a fraction of items):
items the baseline scored and the candidate could not count against the candidate.

*Lost items* fail the gate deterministically, at any n: an item (case, seed) the
baseline scored that the candidate failed (undecodable, cut short, crashed) or lacks
is counted, and more than ``max_lost`` of them (default 0) is a regression, named
item by item -- no test of significance, which at n = 8 could never fire.
Runs that are not comparable (``reports.comparable``) are refused before any of this.

Outputs without a direction (amount of motion), untested ones (set-level FVD: one
value per run, no interval) and ``ignore = true`` ones never fail the gate; they are
still listed. A set-level ``video_kd`` is tested (a bootstrap over cases,
``set_stats``) and gated like any output: its tolerance is relative to the baseline's
value, which is about 0 for a generator that matches its reference, so set ``abs``
for it (e.g. ``[metrics.video_kd] abs = 0.02``) to ignore tiny but significant changes. Thresholds come from a TOML file; everything is optional::

    alpha = 0.05              # family-wise false-alarm rate over all outputs
    correction = "bonferroni" # or "none": plain per-output intervals
    n_resamples = 4000        # bootstrap resamples per output
    max_lost = 0              # items the candidate may fail or lack (baseline scored them)

    [default]                 # applies to every output without its own table
    abs = 0.0                 # in the output's own units
    rel = 0.05                # fraction of |baseline mean|: 5 % worse fails
    coverage = 0.05           # fraction of items: scored on 5 % fewer items fails

    [metrics.warping_error]   # per output name (as in the scores table)
    rel = 0.02
    [metrics.motion_px]
    ignore = true

The defaults above (``DEFAULT_THRESHOLDS``) are what ``check`` uses without a file:
a 5 % relative worsening that is significant at a 5 % family-wise level.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from vbench_lite.errors import UserError
from vbench_lite.reports.compare import WORSE, compare_runs
from vbench_lite.reports.data import RunData
from vbench_lite.reports.stats import GATE_RESAMPLES

DEFAULT_THRESHOLDS = """\
# vbench-lite regression-gate thresholds (see vbench_lite.reports.gate)
alpha = 0.05
correction = "bonferroni"
n_resamples = 4000
max_lost = 0

[default]
abs = 0.0
rel = 0.05
coverage = 0.05
"""
_TOP_KEYS = {"alpha", "correction", "n_resamples", "max_lost", "default", "metrics"}
_METRIC_KEYS = {"abs", "rel", "coverage", "ignore"}


@dataclass
class Thresholds:
    alpha: float = 0.05
    correction: str = "bonferroni"
    n_resamples: int = GATE_RESAMPLES
    max_lost: int = 0
    default: dict = field(default_factory=lambda: {"abs": 0.0, "rel": 0.05, "coverage": 0.05, "ignore": False})
    metrics: dict = field(default_factory=dict)

    def for_metric(self, name: str) -> dict:
        return {**self.default, **self.metrics.get(name, {})}


def parse_thresholds(text: str, source: str = "thresholds") -> Thresholds:
    """Thresholds from TOML text; one clear line on any mistake."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{source}: not valid TOML ({exc})") from None
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise UserError(f"{source}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    th = Thresholds()
    th.alpha = _number(doc.get("alpha", th.alpha), "alpha", source, lo=0, hi=1)
    th.correction = str(doc.get("correction", th.correction))
    if th.correction not in ("bonferroni", "none"):
        raise UserError(f"{source}: correction must be 'bonferroni' or 'none', got {th.correction!r}")
    th.n_resamples = int(_number(doc.get("n_resamples", th.n_resamples), "n_resamples", source, lo=99))
    max_lost = _number(doc.get("max_lost", th.max_lost), "max_lost", source, lo=0)
    if max_lost != int(max_lost):
        raise UserError(f"{source}: max_lost must be a whole number of items, got {max_lost}")
    th.max_lost = int(max_lost)
    th.default = {**th.default, **_metric_table(doc.get("default", {}), "default", source)}
    metrics = doc.get("metrics", {})
    if not isinstance(metrics, dict):
        raise UserError(f"{source}: [metrics] must be a table of [metrics.NAME] tables")
    th.metrics = {name: _metric_table(t, f"metrics.{name}", source) for name, t in metrics.items()}
    return th


def load_thresholds(path: str | Path | None) -> Thresholds:
    """From a TOML file, or the documented defaults when ``path`` is None."""
    if path is None:
        return parse_thresholds(DEFAULT_THRESHOLDS, "default thresholds")
    p = Path(path)
    if not p.is_file():
        raise UserError(f"thresholds file {p} not found; write one (see `vbench-lite check --help`)")
    return parse_thresholds(p.read_text(encoding="utf-8"), str(p))


def _metric_table(t, where: str, source: str) -> dict:
    if not isinstance(t, dict):
        raise UserError(f"{source}: [{where}] must be a table with abs / rel / coverage / ignore")
    bad = set(t) - _METRIC_KEYS
    if bad:
        raise UserError(f"{source}: [{where}] has unknown key(s) {sorted(bad)}; "
                        "allowed: abs, rel, coverage, ignore")
    out = {k: _number(t[k], f"{where}.{k}", source, lo=0) for k in ("abs", "rel", "coverage") if k in t}
    if "ignore" in t:
        if not isinstance(t["ignore"], bool):
            raise UserError(f"{source}: {where}.ignore must be true or false")
        out["ignore"] = t["ignore"]
    return out


def _number(v, key: str, source: str, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise UserError(f"{source}: {key} must be a number, got {v!r}")
    if (lo is not None and v < lo) or (hi is not None and v >= hi) or (hi is not None and v <= 0):
        raise UserError(f"{source}: {key}={v} is out of range" + (f" [{lo}, {hi})" if hi else f" (>= {lo})"))
    return float(v)


def apply_gate(cmp: pd.DataFrame, th: Thresholds) -> pd.DataFrame:
    """Adds ``tolerance`` (metric units) and ``regressed`` (bool) to a comparison."""
    out = cmp.copy()
    conf = [th.for_metric(m) for m in out["metric"]]
    base = out["mean_a"].abs().fillna(0.0).to_numpy()
    out["tolerance"] = [max(c["abs"], c["rel"] * b) for c, b in zip(conf, base)]
    ignored = np.array([bool(c.get("ignore")) for c in conf], dtype=bool)
    cov_tol = np.array([c["coverage"] for c in conf], dtype=float)
    by_mean = (out["basis"] == "mean") & (out["diff"].abs() > out["tolerance"])
    by_coverage = (out["basis"] == "coverage") & (-out["cov_diff"] > cov_tol)
    out["regressed"] = (out["verdict"] == WORSE) & (by_mean | by_coverage) & ~ignored
    out.loc[ignored, "note"] = (out.loc[ignored, "note"] + "; ignored by thresholds").str.lstrip("; ")
    return out


def check_names(th: Thresholds, known: set[str], source: str = "thresholds") -> None:
    """A [metrics.NAME] table must name an output that exists (a typo would silently
    leave the intended output at the default); one line with "did you mean"."""
    import difflib

    for name in th.metrics:
        if name not in known:
            hint = difflib.get_close_matches(name, sorted(known), n=1)
            raise UserError(f"{source}: [metrics.{name}] names no output"
                            + (f"; did you mean {hint[0]!r}?" if hint else
                               " (see `vbench-lite list metrics` for output names)"))


@dataclass
class GateResult:
    """``code`` 0 (ok) or 1 (regression); ``gated`` the comparison with ``tolerance`` and
    ``regressed``; ``lost`` the items the candidate lost (``comparable.lost_items``)
    and ``n_base`` the items the baseline scored; ``lost_regressed`` whether they
    exceed ``max_lost``."""

    code: int
    gated: pd.DataFrame
    lost: pd.DataFrame
    n_base: int
    lost_regressed: bool


def run_gate(baseline: RunData, candidate: RunData, th: Thresholds) -> GateResult:
    """Judge ``candidate`` against ``baseline``: 1 when an output regressed or more
    than ``th.max_lost`` items were lost, else 0."""
    from vbench_lite.reports.comparable import lost_items

    cmp = compare_runs(baseline, candidate, alpha=th.alpha, correction=th.correction,
                       n_resamples=th.n_resamples)
    gated = apply_gate(cmp, th)
    gated.attrs.update(cmp.attrs)
    lost = lost_items(baseline, candidate)
    lost_regressed = len(lost) > th.max_lost
    code = 1 if gated["regressed"].any() or lost_regressed else 0
    return GateResult(code, gated, lost, int((baseline.items["status"] == "ok").sum()), lost_regressed)
