"""The scorecard: every dimension of a run on one line, beside a reference point.

A pure function of stored rows (``build_scorecard``) plus one loader
(``load_scorecard``) that reads those rows from the store. Renderers: the terminal
(``vbench_lite.cli.scorecard``) and the HTML report (``reports.html``).

**Dimensions** (``DIMENSIONS``): one line each -- temporal (flicker, warping,
smoothness, identity drift, motion), set (``video_kd``; ``fvd`` when scored) and
physics (trajectories, permanence, conservation, monotone change, shape). A dimension
names its outputs; the first is its *headline*, and the line pools, per item, the
mean of those of its outputs that share the headline's declared units and direction
(the run's recorded ``Output`` declarations, never the names): conservation pools its
five relative errors, a dimension whose other outputs are in other units shows its
headline. Every output stays in ``--detail`` and the report's full table.

**Reference point** (one per run, said in one line):

* a probe run: the simulator oracle -- the floor run scored beside it (role
  ``floor``) -- on the same cases, for every output, temporal ones included; a
  set-level output against the floor run's own set value;
* an ``eval`` run with ``--reference DIR``: the run of that folder (role
  ``reference``, linked in the eval run's provenance as ``reference_run``), an
  unpaired comparison of case means;
* otherwise none, and the line says how to get one;
* VBench's own dimensions (``--metrics vbench_...``) also read on VBench's board
  scale, (value - min) / (max - min) of its leaderboard (``reports.vbench_board``).

**Reading**: the ratio to the reference in words ("within 2x the oracle", "86x the
oracle", "61% of the oracle") and a verdict only where a test exists: a paired
bootstrap of run - oracle over shared cases (``stats.paired_diff``), an unpaired one
against a reference set, or for a set-level score its interval against the
reference's value. Fewer than ``stats.MIN_CI_UNITS`` cases: no interval, no verdict,
and the line says so. Undirected outputs (motion) are never judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from vbench_lite.reports.data import RunData, declared_outputs, direction_word, is_floor
from vbench_lite.reports.readings import ZERO, ratio_text, reading, times, verdict_of  # noqa: F401
from vbench_lite.reports.set_stats import set_intervals
from vbench_lite.reports.stats import MIN_CI_UNITS, SEED, mean_ci, paired_diff

from vbench_lite.store import SET_CASE_ID

BOARD_NOTE = ("vb ...: VBench's own dimensions as VBench computes them; board: the value on VBench's "
              "leaderboard scale, (value - min) / (max - min) of its normalisation constants.")


@dataclass(frozen=True)
class Dimension:
    """One scorecard line: ``outputs`` pooled (see the module docstring); ``optional``
    dimensions appear only when scored."""

    name: str
    kind: str  # "temporal", "set" or "physics"
    outputs: tuple[str, ...]
    optional: bool = False


DIMENSIONS = (
    Dimension("flicker", "temporal", ("flicker",)),
    Dimension("warping", "temporal", ("warping_error",)),
    Dimension("smoothness", "temporal", ("motion_smoothness",)),
    Dimension("identity drift", "temporal", ("identity_drift",)),
    Dimension("motion", "temporal", ("motion_px",)),
    Dimension("text alignment", "temporal", ("clip_text_score",), optional=True),
    # VBench's own dimensions, when asked for (--metrics vbench_...): read on its board's scale too
    Dimension("vb flickering", "temporal", ("vbench_temporal_flickering",), optional=True),
    Dimension("vb smoothness", "temporal", ("vbench_motion_smoothness",), optional=True),
    Dimension("vb dynamic", "temporal", ("vbench_dynamic_degree",), optional=True),
    Dimension("vb subject", "temporal", ("vbench_subject_consistency",), optional=True),
    Dimension("vb background", "temporal", ("vbench_background_consistency",), optional=True),
    Dimension("video_kd", "set", ("video_kd",)),
    Dimension("fvd", "set", ("fvd",), optional=True),
    Dimension("trajectories", "physics", ("velocity_error", "position_error")),
    Dimension("permanence", "physics", ("permanence", "reemergence_delay")),
    Dimension("conservation", "physics", ("count_error", "area_error", "momentum_error", "energy_error",
                                          "level_error")),
    Dimension("monotone change", "physics", ("monotone_fraction", "rate_error")),
    Dimension("shape", "physics", ("size_drift", "color_drift")),
    # the memory probes (suite ``memory``), when scored
    Dimension("revisit", "physics", ("revisit_static_error", "revisit_static_truth_error"), optional=True),
    Dimension("rollout drift", "physics", ("position_error_growth",), optional=True),
)


@dataclass
class Cell:
    """One value of a line: all items, or one split ("id"/"ood"). ``ref``: the
    reference's mean over the same cases (NaN: none); ``verdict``: "worse",
    "better", "same" or "" (no test)."""

    mean: float = np.nan
    low: float = np.nan
    high: float = np.nan
    n: int = 0  # items scored
    cases: int = 0
    ref: float = np.nan
    verdict: str = ""
    note: str = ""


@dataclass
class Line:
    dimension: str
    kind: str
    pooled: tuple[str, ...]  # the outputs the value pools
    units: str
    direction: str  # "higher", "lower" or "-"
    cells: dict[str, Cell]  # "" (temporal, set) or "id" / "ood" (physics)
    reading: str = ""
    board: float = np.nan  # a VBench dimension's value on VBench's board scale (``board_value``)

    @property
    def verdict(self) -> str:
        """The line's verdict: "worse" if any cell is worse, else "better" if any is,
        else "same" if every tested cell is, else "" (nothing tested)."""
        v = [c.verdict for c in self.cells.values() if c.verdict]
        for word in ("worse", "better"):
            if word in v:
                return word
        return "same" if v else ""

    @property
    def ood_id(self) -> float:
        i, o = self.cells.get("id"), self.cells.get("ood")
        if i is None or o is None or not (np.isfinite(i.mean) and np.isfinite(o.mean)) or i.mean == 0:
            return np.nan
        return o.mean / i.mean


@dataclass
class Scorecard:
    run_id: str
    label: str
    reference: str  # one line: what the reference point is
    ref_name: str  # "the oracle", "the reference set" or ""
    lines: list[Line] = field(default_factory=list)
    pooling: str = ""  # one line: how physics dimensions pool their outputs

    def records(self) -> list[dict]:
        """Plain dicts (JSON): one per line, cells flattened as ``<split>_<field>``."""
        out = []
        for ln in self.lines:
            rec = {"dimension": ln.dimension, "kind": ln.kind, "outputs": list(ln.pooled), "units": ln.units,
                   "direction": ln.direction, "reading": ln.reading, "verdict": ln.verdict}
            for split, c in ln.cells.items():
                pre = f"{split}_" if split else ""
                for k, v in c.__dict__.items():
                    rec[pre + k] = None if isinstance(v, float) and not np.isfinite(v) else v
            if ln.kind == "physics":
                rec["ood_id"] = None if not np.isfinite(ln.ood_id) else ln.ood_id
            out.append(rec)
        return out


# -- pooling -------------------------------------------------------------------------

def pooled_outputs(dim: Dimension, decl: pd.DataFrame) -> tuple[str, ...]:
    """The outputs of ``dim`` the run declares that share the first declared one's
    units and direction (``decl``: ``data.declared_outputs``)."""
    present = [o for o in dim.outputs if o in decl.index]
    if not present:
        return ()
    head = decl.loc[present[0]]
    same = [o for o in present if decl.loc[o, "units"] == head["units"]
            and _same_direction(decl.loc[o, "higher_is_better"], head["higher_is_better"])]
    return tuple(same)


def _same_direction(a, b) -> bool:
    return (pd.isna(a) and pd.isna(b)) or a == b  # NaN (undirected) equals NaN


def item_values(scores: pd.DataFrame, outputs: tuple[str, ...], floor: pd.DataFrame | None) -> pd.DataFrame:
    """Per item: ``value`` (mean of its finite pooled outputs) and ``ref`` (the
    floor's mean over the same outputs of the same case; NaN without one).
    Columns: case_id, seed, suite, split, value, ref."""
    cols = ["case_id", "seed", "suite", "split", "value", "ref"]
    sc = scores[scores["metric"].isin(outputs) & (scores["case_id"] != SET_CASE_ID)]
    sc = sc[np.isfinite(sc["value"])]
    if sc.empty:
        return pd.DataFrame(columns=cols)
    if floor is not None and not floor.empty:
        sc = sc.merge(floor, on=["suite", "case_id", "metric"], how="left")
    else:
        sc = sc.assign(floor=np.nan)
    keys = ["case_id", "seed", "suite", "split"]
    # the reference pools the outputs this item has, so both sides average the same quantities
    out = sc.groupby(keys, sort=True).agg(value=("value", "mean"), ref=("floor", "mean")).reset_index()
    return out[cols]


# -- building ------------------------------------------------------------------------

def _cell(items: pd.DataFrame, hib, *, unpaired_ref: pd.DataFrame | None = None,
          confidence: float = 0.95) -> Cell:
    """A cell from per-item values (``item_values``) and, for a reference run, that
    run's per-item values (unpaired)."""
    if items.empty:
        return Cell(note="no values")
    ci = mean_ci(items["value"].to_numpy(), clusters=items["case_id"].to_numpy(), confidence=confidence)
    cell = Cell(mean=ci.mean, low=ci.low, high=ci.high, n=ci.n, cases=int(items["case_id"].nunique()),
                note=ci.note)
    if unpaired_ref is not None:
        if unpaired_ref.empty:
            return cell
        cell.ref = float(unpaired_ref["value"].mean())
        d = unpaired_diff(unpaired_ref, items, confidence=confidence)
    else:
        paired = items[np.isfinite(items["ref"].astype(float))]
        if paired.empty:
            return cell
        cell.ref = float(paired["ref"].mean())
        d = paired_diff(paired["ref"].to_numpy(float), paired["value"].to_numpy(float),
                        clusters=paired["case_id"].to_numpy(), confidence=confidence)
    cell.verdict = verdict_of(d.low, d.high, d.mean, hib)
    return cell


def unpaired_diff(a: pd.DataFrame, b: pd.DataFrame, *, confidence: float = 0.95, n_resamples: int = 2000,
                  seed: int = SEED):
    """mean(b) - mean(a) of two independent sets of items, each resampled by case
    (percentile bootstrap of case means; a case's seeds stay together). Fewer than
    ``MIN_CI_UNITS`` cases on either side: no interval."""
    from vbench_lite.reports.stats import Interval, expanded_confidence

    ma = a.groupby("case_id")["value"].mean().to_numpy(float)  # (ka,)
    mb = b.groupby("case_id")["value"].mean().to_numpy(float)  # (kb,)
    diff = float(b["value"].mean() - a["value"].mean())
    k = min(ma.size, mb.size)
    if k < MIN_CI_UNITS:
        return Interval(diff, np.nan, np.nan, k, f"{k} cases: no interval below {MIN_CI_UNITS}")
    rng = np.random.default_rng(seed)
    ra = ma[rng.integers(0, ma.size, (n_resamples, ma.size))].mean(axis=1)  # (B,)
    rb = mb[rng.integers(0, mb.size, (n_resamples, mb.size))].mean(axis=1)  # (B,)
    level = expanded_confidence(confidence, k)
    low, high = np.quantile(rb - ra, [(1 - level) / 2, (1 + level) / 2])
    return Interval(diff, float(low), float(high), k, "")


def _set_cell(data: RunData, output: str, hib, ref_value: float, confidence: float) -> Cell:
    rows = data.scores[(data.scores["case_id"] == SET_CASE_ID) & (data.scores["metric"] == output)]
    if rows.empty or not np.isfinite(rows["value"].iloc[0]):
        return Cell(note="no values")
    value = float(rows["value"].iloc[0])
    low, high, note = set_intervals(data, confidence).get(output, (np.nan, np.nan, "set-level score (one value)"))
    if np.isfinite(ref_value) and abs(ref_value) <= ZERO:
        ref_value = 0.0  # the oracle's MMD^2 of a set with itself, up to rounding
    cell = Cell(mean=value, low=low, high=high, n=1, note=note, ref=ref_value)
    if np.isfinite(ref_value) and np.isfinite(low) and np.isfinite(high):
        cell.verdict = verdict_of(low - ref_value, high - ref_value, value - ref_value, hib)
    return cell


def build_scorecard(data: RunData, *, floor: pd.DataFrame | None = None, floor_set: dict | None = None,
                    floor_run: dict | None = None, reference: RunData | None = None,
                    confidence: float = 0.95) -> Scorecard:
    """The scorecard of ``data``. ``floor``: ``data.floor_scores`` rows (suite,
    case_id, metric, floor); ``floor_set``: the floor run's set-level values (output
    -> value) when it scored the same cases; ``floor_run``: that run (for the
    reference line); ``reference``: an eval run's reference-set run (unpaired)."""
    decl = declared_outputs(data.run)
    has_floor = floor is not None and not floor.empty
    ref_name = "the oracle" if has_floor else "the reference set" if reference is not None else ""
    card = Scorecard(data.run_id, data.label, reference_line(data, floor_run if has_floor else None, reference),
                     ref_name)
    physics_pooled = []
    for dim in DIMENSIONS:
        pooled = pooled_outputs(dim, decl)
        if not pooled:
            continue
        scored = data.scores["metric"].isin(pooled)
        if dim.optional and not scored.any():
            continue
        if dim.kind == "physics" and not data.items["split"].isin(["id", "ood"]).any():
            continue  # no probe items (eval): physics does not apply
        head = decl.loc[pooled[0]]
        hib = head["higher_is_better"]
        line = Line(dim.name, dim.kind, pooled, str(head["units"]), direction_word(hib), {})
        if dim.kind == "set":
            ref_value = (floor_set or {}).get(pooled[0], np.nan) if has_floor else \
                (0.0 if reference is not None and _fixed_reference(data, pooled[0]) else np.nan)
            line.cells[""] = _set_cell(data, pooled[0], hib, ref_value, confidence)
        else:
            items = item_values(data.scores, pooled, floor if has_floor else None)
            ref_items = item_values(reference.scores, pooled, None) if reference is not None else None
            splits = ["id", "ood"] if dim.kind == "physics" and items["split"].isin(["id", "ood"]).any() else [""]
            for s in splits:
                part = items[items["split"] == s] if s else items
                ref_part = None if ref_items is None else (ref_items[ref_items["split"] == s] if s else ref_items)
                line.cells[s] = _cell(part, hib, unpaired_ref=ref_part, confidence=confidence)
            if dim.kind == "physics" and len(pooled) > 1:
                physics_pooled.append(f"{dim.name} = mean of {', '.join(pooled)}")
        line.reading = reading(line, hib, ref_name)
        line.board = board_value(pooled[0], data.scores)
        if np.isfinite(line.board):
            line.reading = "; ".join(p for p in (line.reading, f"board {line.board:.3f}") if p)
        card.lines.append(line)
    card.pooling = pooling_line(card, physics_pooled)
    return card


def board_value(output: str, scores: pd.DataFrame) -> float:
    """A VBench dimension's run value on VBench's board scale: its aggregate over
    videos normalised by the board's (min, max) (``reports.vbench_board``); NaN for
    any other output."""
    from vbench_lite.reports import vbench_board

    dim = vbench_board.DIMENSIONS.get(output)
    if dim is None:
        return np.nan
    values = scores.loc[(scores["metric"] == output) & (scores["case_id"] != SET_CASE_ID), "value"]
    values = values[np.isfinite(values)]
    if values.empty:
        return np.nan
    # per-video values; frame-weighted dimensions equal VBench's when the videos have one length
    return float(vbench_board.normalized(dim.label, vbench_board.aggregate(output, values.to_numpy())))


def _fixed_reference(data: RunData, output: str) -> bool:
    """True when a set statistic was computed against a fixed reference folder (its
    0 is "indistinguishable from that folder")."""
    spec = ((data.run.get("metrics") or {}).get(output) or {}).get("set_statistic") or {}
    return spec.get("row_layout") == "fixed"


def pooling_line(card: Scorecard, pooled: list[str]) -> str:
    heads = [f"{ln.dimension} = {ln.pooled[0]}" for ln in card.lines if ln.kind == "physics" and len(ln.pooled) == 1]
    if not pooled and not heads:
        return ""
    text = "physics per item: " + "; ".join(pooled + heads)
    return text + " (outputs in other units: --detail)"


def reference_line(data: RunData, floor_run: dict | None, reference: RunData | None) -> str:
    """One line saying what the reference point is."""
    if floor_run is not None:
        which = f"floor run {floor_run['run_id']}" if floor_run.get("run_id") else "floor runs of these cases"
        return f"reference: the simulator oracle on the same cases ({which}): the parse floor"
    if reference is not None:
        n = int((reference.items["status"] == "ok").sum())
        return f"reference: the reference set {reference.label} ({n} videos, run {reference.run_id})"
    if is_floor(data.run):
        return "reference: none (this is the simulator oracle itself)"
    if data.items["split"].isin(["id", "ood"]).any():
        return "reference: none (no oracle floor run covers these cases; run without --no-floor)"
    return "reference: none (give --reference DIR: real or baseline videos scored beside the run)"


# -- loading -------------------------------------------------------------------------

def _floor_run(store, data: RunData) -> dict | None:
    """The newest floor run over exactly this run's (suite, case) items, whose
    set-level values are comparable with this run's."""
    wanted = set(zip(data.items["suite"], data.items["case_id"]))
    for run in reversed(store.runs()):
        if not is_floor(run):
            continue
        keys = {(i["suite"], i["case_id"]) for i in store.items(run["run_id"])}
        if keys == wanted:
            return run
    return None


def load_scorecard(store, ref: str | dict, *, confidence: float = 0.95) -> Scorecard:
    """The scorecard of one stored run (id, name, ``latest`` or its run dict), with
    its oracle floor or its linked reference-set run read from the same store."""
    from vbench_lite.reports.data import floor_scores, load_run

    data = load_run(store, ref)
    floor = floor_scores(store, data)
    floor_run = floor_set = None
    if not floor.empty:
        floor_run = _floor_run(store, data)
        if floor_run is not None:
            fs = load_run(store, floor_run).scores
            fs = fs[fs["case_id"] == SET_CASE_ID]
            floor_set = dict(zip(fs["metric"], fs["value"]))
        else:  # floors over other case sets: per-item references only, no set-level one
            floor_run = {"run_id": ""}
    reference = None
    ref_id = (data.run.get("provenance") or {}).get("reference_run")
    if ref_id:
        try:
            reference = load_run(store, ref_id)
        except Exception:  # noqa: BLE001 -- a deleted reference run leaves the card without one
            reference = None
    return build_scorecard(data, floor=floor, floor_set=floor_set, floor_run=floor_run, reference=reference,
                           confidence=confidence)
