"""The results store: one SQLite file (WAL) with a versioned schema.

Tables (schema version 2)::

    meta(key, value)                      schema_version, created_by
    runs(run_id PK, name, status, created, updated, finished, generator,
         settings, suites, seeds, metrics, skipped_metrics, provenance, sweep, timings, role)
    items(run_id, case_id, seed, suite, grp, split, prompt, status, error,
          video_path, gen_seconds, metric_seconds, created)       PK (run_id, case_id, seed)
    scores(run_id, case_id, seed, metric, value, units, higher_is_better,
           source, timeline)                                       PK (run_id, case_id, seed, metric)
    item_skips(run_id, case_id, seed, metric, reason)              PK (run_id, case_id, seed, metric)
    features(run_id, case_id, seed, metric, data)                  PK (run_id, case_id, seed, metric)

JSON columns hold dicts/lists. ``scores.metric`` is an output name (e.g.
``warping_error_max``); ``scores.source`` the metric object that produced it.
Set-level scores (FVD) use ``case_id = '__set__'`` and ``seed = -1`` -- a value no
real case id can take. ``timeline`` is little-endian float32 bytes.

Every item (its row, scores, skips and features) is written in one transaction, so
a killed run leaves either all of an item or none of it, and a resume never
doubles anything.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from vbench_lite.errors import UserError

SCHEMA_VERSION = 2  # 2: runs.role (was provenance["role"] in 1; opened v1 stores are migrated)
EVAL_ROLE = "eval"  # a run someone asked for
FLOOR_ROLE = "floor"  # the simulator oracle scored beside a probe run: the parse floor


def DEFAULT_STORE() -> Path:
    """``$VBENCH_LITE_STORE`` or ``./vbench_results/results.sqlite``."""
    return Path(os.environ.get("VBENCH_LITE_STORE") or Path("vbench_results") / "results.sqlite")

SET_CASE_ID = "__set__"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL, finished REAL,
    generator TEXT NOT NULL, settings TEXT NOT NULL, suites TEXT NOT NULL,
    seeds TEXT NOT NULL, metrics TEXT NOT NULL, skipped_metrics TEXT NOT NULL,
    provenance TEXT NOT NULL, sweep TEXT, timings TEXT NOT NULL DEFAULT '{}',
    role TEXT NOT NULL DEFAULT 'eval'
);
CREATE TABLE IF NOT EXISTS items (
    run_id TEXT NOT NULL REFERENCES runs(run_id), case_id TEXT NOT NULL, seed INTEGER NOT NULL,
    suite TEXT, grp TEXT, split TEXT, prompt TEXT, status TEXT NOT NULL, error TEXT,
    video_path TEXT, gen_seconds REAL, metric_seconds REAL, created REAL NOT NULL,
    PRIMARY KEY (run_id, case_id, seed)
);
CREATE TABLE IF NOT EXISTS scores (
    run_id TEXT NOT NULL, case_id TEXT NOT NULL, seed INTEGER NOT NULL, metric TEXT NOT NULL,
    value REAL, units TEXT, higher_is_better INTEGER, source TEXT, timeline BLOB,
    PRIMARY KEY (run_id, case_id, seed, metric)
);
CREATE TABLE IF NOT EXISTS item_skips (
    run_id TEXT NOT NULL, case_id TEXT NOT NULL, seed INTEGER NOT NULL, metric TEXT NOT NULL,
    reason TEXT NOT NULL, PRIMARY KEY (run_id, case_id, seed, metric)
);
CREATE TABLE IF NOT EXISTS features (
    run_id TEXT NOT NULL, case_id TEXT NOT NULL, seed INTEGER NOT NULL, metric TEXT NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY (run_id, case_id, seed, metric)
);
CREATE INDEX IF NOT EXISTS scores_by_metric ON scores (run_id, metric);
"""

@dataclass(frozen=True)
class ItemRecord:
    """One row of ``items``: a (case, seed) of a run and what became of it."""

    case_id: str
    seed: int
    status: str  # "ok" or "failed"
    suite: str | None = None
    grp: str | None = None
    split: str | None = None
    prompt: str | None = None
    error: str | None = None  # the reason, for a failed item
    video_path: str | None = None
    gen_seconds: float | None = None
    metric_seconds: float | None = None


@dataclass(frozen=True)
class ScoreRow:
    """One row of ``scores``: an output's value (NaN/inf stored as NULL), its declared
    units and direction (None: no direction), the metric that produced it and an
    optional per-frame timeline."""

    metric: str
    value: float
    units: str = ""
    higher_is_better: bool | None = None
    source: str = ""
    timeline: np.ndarray | None = None


_JSON_COLUMNS = ("settings", "suites", "seeds", "metrics", "skipped_metrics", "provenance", "timings")


def timeline_to_blob(timeline: np.ndarray | None) -> bytes | None:
    if timeline is None:
        return None
    return np.asarray(timeline, dtype="<f4").ravel().tobytes()


def blob_to_timeline(blob: bytes | None) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, dtype="<f4").copy()


class Store:
    """A results store at ``path`` (created on first use)."""

    def __init__(self, path: str | Path, *, readonly: bool = False):
        self.path = Path(path)
        if readonly and not self.path.exists():
            raise UserError(f"no results store at {self.path}; run `vbench-lite run` first or pass --store")
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self._retry_locked(lambda: self.conn.execute("PRAGMA journal_mode=WAL"))
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=60000")
            self._retry_locked(self._init_schema)
        except sqlite3.OperationalError as exc:
            raise UserError(f"cannot open the results store {self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{self.path} is not a vbench-lite results store ({exc})") from None

    @staticmethod
    def _retry_locked(fn, seconds: float = 60.0):
        """Run ``fn``, retrying while another process holds the lock: switching a new
        file to WAL can report "database is locked" at once, without waiting on the
        busy timeout, when several ranks open the same new store together."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _init_schema(self) -> None:
        with self.transaction():
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                self.conn.execute(stmt)
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None:
                self.conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) > SCHEMA_VERSION:
                raise UserError(
                    f"{self.path} has schema version {row[0]}, newer than this vbench-lite "
                    f"({SCHEMA_VERSION}); upgrade vbench-lite"
                )
            elif int(row[0]) < 2:
                self._migrate_v1()

    def _migrate_v1(self) -> None:
        """v1 -> v2: the run's role moves from provenance JSON into its own column."""
        cols = {r[1] for r in self.conn.execute("PRAGMA table_info(runs)")}
        if "role" not in cols:
            self.conn.execute("ALTER TABLE runs ADD COLUMN role TEXT NOT NULL DEFAULT 'eval'")
        self.conn.execute("UPDATE runs SET role = COALESCE(json_extract(provenance, '$.role'), 'eval')")
        self.conn.execute("UPDATE meta SET value='2' WHERE key='schema_version'")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ writing
    def transaction(self):
        return _Transaction(self.conn)

    def begin_run(self, run_id: str, *, name: str, generator: str, settings: dict, suites: list,
                  seeds: list, metrics: dict, skipped_metrics: dict, provenance: dict,
                  sweep: str | None = None, role: str = EVAL_ROLE) -> bool:
        """Create the run, or mark an existing one as running again. Returns True
        when the run already existed (a resume)."""
        now = time.time()
        with self.transaction():
            row = self.conn.execute("SELECT run_id FROM runs WHERE run_id=?", (run_id,)).fetchone()
            if row is not None:
                self.conn.execute(
                    "UPDATE runs SET status='running', updated=?, skipped_metrics=?, provenance=? WHERE run_id=?",
                    (now, json.dumps(skipped_metrics), json.dumps(provenance), run_id),
                )
                return True
            self.conn.execute(
                "INSERT INTO runs (run_id, name, status, created, updated, generator, settings, suites,"
                " seeds, metrics, skipped_metrics, provenance, sweep, role) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (run_id, name, "running", now, now, generator, json.dumps(settings, sort_keys=True),
                 json.dumps(suites), json.dumps(seeds), json.dumps(metrics), json.dumps(skipped_metrics),
                 json.dumps(provenance), sweep, role),
            )
            return False

    def finish_run(self, run_id: str, status: str, timings: dict | None = None) -> None:
        now = time.time()
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET status=?, updated=?, finished=?, timings=? WHERE run_id=?",
                (status, now, now if status == "finished" else None, json.dumps(timings or {}), run_id),
            )

    def write_item(self, run_id: str, item: ItemRecord, scores: Iterable[ScoreRow] = (),
                   skips: dict[str, str] | None = None, features: dict[str, np.ndarray] | None = None) -> None:
        """Write one item atomically: its row, score rows, skip reasons and features."""
        key = (run_id, item.case_id, int(item.seed))
        with self.transaction():
            for table in ("items", "scores", "item_skips", "features"):
                self.conn.execute(f"DELETE FROM {table} WHERE run_id=? AND case_id=? AND seed=?", key)
            self.conn.execute(
                "INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (*key, item.suite, item.grp, item.split, item.prompt, item.status, item.error,
                 item.video_path, item.gen_seconds, item.metric_seconds, time.time()),
            )
            self._insert_scores(key, scores)
            for metric, reason in (skips or {}).items():
                self.conn.execute("INSERT INTO item_skips VALUES (?,?,?,?,?)", (*key, metric, reason))
            for metric, vec in (features or {}).items():
                blob = np.asarray(vec, dtype="<f8").ravel().tobytes()
                self.conn.execute("INSERT INTO features VALUES (?,?,?,?,?)", (*key, metric, blob))

    def _insert_scores(self, key: tuple, scores: Iterable[ScoreRow]) -> None:
        for s in scores:
            value = None if s.value is None or not np.isfinite(s.value) else float(s.value)
            self.conn.execute(
                "INSERT OR REPLACE INTO scores VALUES (?,?,?,?,?,?,?,?,?)",
                (*key, s.metric, value, s.units, None if s.higher_is_better is None else int(bool(s.higher_is_better)),
                 s.source, timeline_to_blob(s.timeline)),
            )

    def write_set_scores(self, run_id: str, scores: Iterable[ScoreRow],
                         skips: dict[str, str] | None = None) -> None:
        key = (run_id, SET_CASE_ID, -1)
        with self.transaction():
            self._insert_scores(key, scores)
            for metric, reason in (skips or {}).items():
                self.conn.execute("INSERT OR REPLACE INTO item_skips VALUES (?,?,?,?,?)", (*key, metric, reason))

    # ------------------------------------------------------------------ reading
    def done_keys(self, run_id: str) -> set[tuple[str, int]]:
        """(case_id, seed) of items already written for this run (ok or failed)."""
        rows = self.conn.execute("SELECT case_id, seed FROM items WHERE run_id=?", (run_id,))
        return {(r[0], r[1]) for r in rows}

    def features(self, run_id: str, metric: str) -> dict[tuple[str, int], np.ndarray]:
        rows = self.conn.execute(
            "SELECT case_id, seed, data FROM features WHERE run_id=? AND metric=?", (run_id, metric))
        return {(r[0], r[1]): np.frombuffer(r[2], dtype="<f8") for r in rows}

    def run(self, run_id: str) -> dict[str, Any]:
        row = self.conn.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None:
            row = self._run_by_name(run_id)
        return _decode_run(row)

    def _run_by_name(self, name: str):
        if name == "latest":  # the one definition: the newest run someone asked for (never a floor run)
            row = self.conn.execute("SELECT * FROM runs WHERE role != ? ORDER BY created DESC LIMIT 1",
                                    (FLOOR_ROLE,)).fetchone()
        else:
            rows = self.conn.execute(
                "SELECT * FROM runs WHERE name=? OR run_id LIKE ? ORDER BY created DESC", (name, name + "%")
            ).fetchall()
            row = rows[0] if rows else None
        if row is None:
            known = [r[0] for r in self.conn.execute("SELECT name FROM runs ORDER BY created DESC LIMIT 5")]
            raise UserError(f"no run {name!r} in {self.path}" + (f" (recent: {', '.join(known)})" if known else ""))
        return row

    def runs(self) -> list[dict[str, Any]]:
        return [_decode_run(r) for r in self.conn.execute("SELECT * FROM runs ORDER BY created")]

    def items(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM items WHERE run_id=? ORDER BY case_id, seed", (run_id,))
        return [dict(r) for r in rows]

    def scores(self, run_id: str, *, with_timelines: bool = False) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM scores WHERE run_id=? ORDER BY case_id, seed, metric", (run_id,))
        out = []
        for r in rows:
            d = dict(r)
            d["timeline"] = blob_to_timeline(d["timeline"]) if with_timelines else None
            out.append(d)
        return out

    def item_skips(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM item_skips WHERE run_id=?", (run_id,))
        return [dict(r) for r in rows]


def _decode_run(row) -> dict[str, Any]:
    d = dict(row)
    for col in _JSON_COLUMNS:
        d[col] = json.loads(d[col]) if d.get(col) else {}
    return d


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (or ``ROLLBACK`` on error)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        return False
