"""Reading the results store into pandas frames for reports.

Reports are built against the store schema (``vbench_lite.store``, schema v1), never
against metric code: everything a table or plot needs -- units, direction, set-level
rows, skip reasons, provenance -- comes from the rows. Frames are read with one SQL
query each (plain-tuple cursor into ``pandas``) so a store of 10,000 items loads in
well under a second; timelines (per-frame curves) are decoded only for the metrics a plot asks for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vbench_lite.errors import UserError
from vbench_lite.store import FLOOR_ROLE, REFERENCE_ROLE, SET_CASE_ID, Store, blob_to_timeline



@dataclass
class RunData:
    """One run as frames.

    ``items``: case_id, seed, suite, grp, split, prompt, status, error, video_path,
    gen_seconds, metric_seconds. ``scores``: case_id, seed, metric, value (NaN when not
    finite), units, higher_is_better (1/0, or NaN when the run declares no direction),
    source, plus the item's suite/grp/split (empty for set-level rows).
    ``skips``: case_id, seed, metric, reason. ``features``: metric -> {(case_id, seed):
    stored row}, only for metrics that declare a ``set_statistic`` (``reports.set_stats``).
    """

    run: dict[str, Any]
    items: pd.DataFrame
    scores: pd.DataFrame
    skips: pd.DataFrame
    features: dict[str, dict] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return self.run["run_id"]

    @property
    def label(self) -> str:
        return self.run.get("name") or self.run_id


def query(store: Store, sql: str, params: tuple = ()) -> pd.DataFrame:
    """Rows of ``sql`` as a frame. Plain tuples (no ``sqlite3.Row`` per row) are about
    twice as fast as ``pandas.read_sql`` on a connection with a row factory."""
    cur = store.conn.cursor()
    cur.row_factory = None
    cur.execute(sql, params)
    rows = cur.fetchall()
    return pd.DataFrame.from_records(rows, columns=[d[0] for d in cur.description])


def open_store(path) -> Store:
    """Open an existing store read-only (a clear error when it does not exist)."""
    return Store(path, readonly=True)


def is_floor(run: dict) -> bool:
    return run.get("role") == FLOOR_ROLE


def resolve_run(store: Store, ref: str, *, like: dict | None = None) -> dict:
    """A run by id, id prefix, name or ``latest``.

    ``latest`` is the newest run that is not a floor run. With ``like`` (the candidate
    of ``check --baseline latest``) it is the newest *finished* run other than ``like``
    that is comparable with it (``reports.comparable.mismatch``: same suites, geometry,
    cases and metric identities), so a nightly gate never judges one model's run
    against another geometry's, a crashed run, or the simulator oracle."""
    if ref != "latest" or like is None:
        return store.run(ref)  # "latest" alone: the store's definition (newest non-floor run)
    from vbench_lite.reports.comparable import mismatch

    runs = [r for r in store.runs() if not is_floor(r) and r.get("role") != REFERENCE_ROLE]  # by creation time
    runs = [r for r in runs if r["run_id"] != like["run_id"] and r["status"] == "finished"]
    if not runs:
        raise UserError(f"no finished baseline in {store.path} to use as 'latest'; pass a run id or name")
    for r in reversed(runs):
        if mismatch(r, like) is None:
            return r
    newest = runs[-1]
    raise UserError(f"no finished run in {store.path} is comparable with {like.get('name') or like['run_id']} "
                    f"to use as 'latest' (the newest, {newest.get('name') or newest['run_id']}: "
                    f"{mismatch(newest, like)}); pin a baseline by name (see README, nightly recipe)")


DECLARATION_COLUMNS = ["units", "higher_is_better", "motion_confounded", "measures_motion", "group", "source"]


def declared_outputs(run: dict) -> pd.DataFrame:
    """One row per output the run declares, indexed by output name, from the metric
    declarations the runner copied into the store (``Metric.describe()``): units,
    higher_is_better (1.0 / 0.0, NaN for no direction), motion_confounded,
    measures_motion (bools), group ("temporal" / "physics") and source (metric name).
    This is the only place reports learn what an output means."""
    rows = {}
    for metric_name, decl in (run.get("metrics") or {}).items():
        for o in (decl or {}).get("outputs", []) or []:
            if not isinstance(o, dict) or "name" not in o:
                continue
            hib = o.get("higher_is_better")
            rows[o["name"]] = {
                "units": o.get("units", ""), "higher_is_better": np.nan if hib is None else float(bool(hib)),
                "motion_confounded": bool(o.get("motion_confounded", False)),
                "measures_motion": bool(o.get("measures_motion", False)),
                "group": str(decl.get("group") or ""), "source": metric_name,
            }
    return pd.DataFrame.from_dict(rows, orient="index", columns=DECLARATION_COLUMNS)


def output_groups(run: dict) -> dict[str, str]:
    """Output name -> its metric object's group ("temporal" / "physics") as the run
    declared it; empty when the run declares none."""
    d = declared_outputs(run)
    return {k: g for k, g in d["group"].items() if g}


def load_run(store: Store, ref: str | dict) -> RunData:
    """All rows of one run (without timelines)."""
    run = ref if isinstance(ref, dict) else store.run(ref)
    rid = (run["run_id"],)
    items = query(store, "SELECT case_id, seed, suite, grp, split, prompt, status, error, video_path,"
                  " gen_seconds, metric_seconds FROM items WHERE run_id=? ORDER BY case_id, seed", rid)
    scores = query(store, "SELECT case_id, seed, metric, value, units, higher_is_better, source"
                   " FROM scores WHERE run_id=?", rid)
    # the item's suite/split joined in pandas (faster than an SQL join at 10^5 rows)
    scores = scores.merge(items[["case_id", "seed", "suite", "grp", "split"]], on=["case_id", "seed"],
                          how="left")
    skips = query(store, "SELECT case_id, seed, metric, reason FROM item_skips WHERE run_id=?", rid)
    scores["value"] = pd.to_numeric(scores["value"], errors="coerce").astype(float)
    # the run's declaration decides the direction (the per-row copy is for readers of the raw table)
    declared = declared_outputs(run)["higher_is_better"]
    row_dir = scores["higher_is_better"].astype(float)
    scores["higher_is_better"] = scores["metric"].map(declared).where(scores["metric"].isin(declared.index),
                                                                      row_dir)
    for col in ("suite", "grp", "split", "units", "source"):
        scores[col] = scores[col].fillna("")
    items["split"] = items["split"].fillna("")
    # the per-video rows a set-level statistic is resampled from (reports.set_stats)
    features = {m: store.features(run["run_id"], m) for m, d in (run.get("metrics") or {}).items()
                if isinstance(d, dict) and d.get("set_statistic")}
    return RunData(run=run, items=items, scores=scores, skips=skips, features=features)


def metric_info(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per output name: units, higher_is_better, source, set_level (bool).
    Taken from the rows, never guessed from the name."""
    if scores.empty:
        return pd.DataFrame(columns=["units", "higher_is_better", "source", "set_level"])
    g = scores.groupby("metric", sort=True)
    info = g.agg(units=("units", "first"), higher_is_better=("higher_is_better", "first"),
                 source=("source", "first"))
    info["set_level"] = g["case_id"].agg(lambda s: bool((s == SET_CASE_ID).all()))
    return info


def direction_word(hib: float) -> str:
    """'higher' / 'lower' is better, or '-' when the metric declares no direction."""
    if hib is None or (isinstance(hib, float) and np.isnan(hib)):
        return "-"
    return "higher" if hib else "lower"


def load_timelines(store: Store, run_id: str, metric: str, *, limit: int | None = None) -> pd.DataFrame:
    """case_id, seed, value, timeline (float32 array) of one output in one run;
    rows without a timeline are dropped. ``limit`` caps the rows read (worst first
    is the caller's business: order is by case_id, seed)."""
    sql = ("SELECT case_id, seed, value, timeline FROM scores WHERE run_id=? AND metric=?"
           " AND timeline IS NOT NULL ORDER BY case_id, seed")
    params: tuple = (run_id, metric)
    if limit is not None:
        sql += " LIMIT ?"
        params += (int(limit),)
    df = query(store, sql, params)
    df["timeline"] = [blob_to_timeline(b) for b in df["timeline"]]
    return df


def floor_scores(store: Store, data: RunData) -> pd.DataFrame:
    """Simulator-floor scores matched to this run's items by (suite, case_id).

    Returns case_id, suite, metric, floor (mean over the floor run's seeds). When
    several floor runs cover a case, the newest wins. Empty when there is no floor
    run or ``data`` is itself a floor run.
    """
    cols = ["suite", "case_id", "metric", "floor"]
    if is_floor(data.run):
        return pd.DataFrame(columns=cols)
    floor_ids = [r["run_id"] for r in store.runs() if is_floor(r)]
    if not floor_ids:
        return pd.DataFrame(columns=cols)
    marks = ",".join("?" * len(floor_ids))
    df = query(store, "SELECT r.created, i.suite, s.case_id, s.metric, s.value FROM scores s"
               " JOIN items i ON i.run_id=s.run_id AND i.case_id=s.case_id AND i.seed=s.seed"
               f" JOIN runs r ON r.run_id=s.run_id WHERE s.run_id IN ({marks})", tuple(floor_ids))
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype(float)
    newest = df.groupby(["suite", "case_id", "metric"])["created"].transform("max")
    df = df[df["created"] == newest]
    wanted = data.items[["suite", "case_id"]].drop_duplicates()
    df = df.merge(wanted, on=["suite", "case_id"], how="inner")
    out = df.groupby(["suite", "case_id", "metric"], as_index=False)["value"].mean()
    return out.rename(columns={"value": "floor"})[cols]
