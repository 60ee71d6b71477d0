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

Only our own stores are opened: an existing database is ours when its ``meta`` table
holds an integer ``schema_version`` (and ``created_by``, when present, names
vbench-lite) and its tables have our columns (v1 stores, without ``runs.role``, are
migrated). Anything else -- another application's database, a damaged store -- is
refused with one line *before* anything is written to it (not even the switch to
WAL); a new or empty file is initialised.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from vbench_lite.errors import ResourceError, UserError

SCHEMA_VERSION = 2  # 2: runs.role (was provenance["role"] in 1; opened v1 stores are migrated)
EVAL_ROLE = "eval"  # a run someone asked for
FLOOR_ROLE = "floor"  # the simulator oracle scored beside a probe run: the parse floor
REFERENCE_ROLE = "reference"  # a folder of real or baseline videos scored beside an eval run (--reference)


def default_store() -> Path:
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


def _text(value):
    """Text as SQLite can store it: file names that are not UTF-8 reach us as lone
    surrogates, which sqlite3 refuses; they are kept as ``\\udcNN`` escapes."""
    if not isinstance(value, str):
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _schema_version(value) -> int | None:
    """The integer in meta's schema_version, or None when it is not one."""
    try:
        return int(str(value).strip())
    except ValueError:
        return None


@functools.lru_cache(maxsize=1)
def _expected_columns() -> dict[str, list[str]]:
    """{table: columns} of the current schema, read from ``_SCHEMA`` itself."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(_SCHEMA)
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
    finally:
        conn.close()


_V1_ONLY_MISSING = {"runs": {"role"}}  # columns a v1 store lacks (added by the migration)
# SQLite messages that mean the machine (or another process holding the lock), not the input
_RESOURCE_MESSAGES = ("full", "disk i/o error", "out of memory", "locked")


def store_error(path, exc: sqlite3.Error) -> Exception:
    """One-line error for an SQLite failure on the store at ``path``: ``ResourceError``
    when the disk is full or failing, else ``UserError``."""
    text = str(exc)
    if "locked" in text.lower():
        return ResourceError(f"results store {path}: {text} by another process for over a minute; re-run the "
                             "same command when it is done -- what was stored is intact")
    if any(m in text.lower() for m in _RESOURCE_MESSAGES):
        return ResourceError(f"results store {path}: {text}; free space (or fix the disk) and re-run the same "
                             "command to resume -- what was stored is intact")
    return UserError(f"cannot use the results store {path}: {text}")


class Store:
    """A results store at ``path`` (created on first use)."""

    def __init__(self, path: str | Path, *, readonly: bool = False):
        from vbench_lite.io import make_folder, shown

        self.path = Path(path)
        where = shown(self.path)
        if readonly and not self.path.exists():
            raise UserError(f"no results store at {where}; run `vbench-lite run` first or pass --store")
        if self.path.is_dir():
            raise UserError(f"results store {where} is a folder; give a file, e.g. {shown(self.path / 'results.sqlite')}")
        if not readonly:
            make_folder(self.path.parent, f"results store {where}")
        try:
            self.conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        except sqlite3.Error as exc:
            raise store_error(where, exc) from None
        try:
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA busy_timeout=60000")
            self._refuse_foreign()  # reads only: nothing is written to a database that is not ours
            self._retry_locked(lambda: self.conn.execute("PRAGMA journal_mode=WAL"))
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self._retry_locked(self._init_schema)
        except BaseException as exc:
            self.conn.close()
            if isinstance(exc, sqlite3.OperationalError):
                raise store_error(where, exc) from None
            if isinstance(exc, sqlite3.DatabaseError):
                raise UserError(f"{where} is not a vbench-lite results store ({exc}); vbench-lite left it "
                                "untouched -- pass another --store") from None
            raise

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

    def _foreign_reason(self) -> str | None:
        """Why the database at ``self.path`` is not a vbench-lite store (None: it is
        ours, or holds nothing yet). Reads only."""
        objects = {r[0]: r[1] for r in self.conn.execute("SELECT name, type FROM sqlite_master")}
        tables = sorted(n for n, t in objects.items() if t == "table" and not n.startswith("sqlite_"))
        if not objects:
            return None  # a new or empty file: ours to initialise
        if "meta" not in tables:
            return f"it holds tables {', '.join(tables[:6]) or '(none)'} and no vbench-lite meta table"
        cols = {r[1] for r in self.conn.execute("PRAGMA table_info(meta)")}
        if not {"key", "value"} <= cols:
            return "its meta table has other columns"
        meta = {r[0]: r[1] for r in self.conn.execute("SELECT key, value FROM meta")}
        if "schema_version" not in meta:
            return "its meta table has no schema_version"
        if _schema_version(meta["schema_version"]) is None:
            return f"its schema_version {meta['schema_version']!r} is not an integer"
        if "created_by" in meta and not str(meta["created_by"]).startswith("vbench-lite"):
            return f"it was created by {meta['created_by']!r}"
        if _schema_version(meta["schema_version"]) > SCHEMA_VERSION:
            return None  # a newer store: _refuse_foreign says to upgrade
        for table, want in _expected_columns().items():
            if table not in tables:
                if table in ("runs", "items", "scores"):
                    return f"it has no {table} table"
                continue  # a table added later: created on open
            have = [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")]
            missing = [c for c in want if c not in have and c not in _V1_ONLY_MISSING.get(table, ())]
            extra = [c for c in have if c not in want]
            if missing or extra:
                def few(names):
                    return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")

                found = [x for x in (missing and f"missing {few(missing)}", extra and f"unknown {few(extra)}") if x]
                return f"its {table} table has other columns ({'; '.join(found)})"
        return None

    def _refuse_foreign(self) -> None:
        """Raise ``UserError`` for a database this vbench-lite must not write to:
        another application's (or a damaged) one, or a store of a newer schema."""
        from vbench_lite.io import shown

        reason = self._foreign_reason()
        if reason:
            raise UserError(f"{shown(self.path)} is not a vbench-lite results store: {reason}; vbench-lite "
                            "left it untouched -- pass a new file to --store")
        row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() \
            if self.conn.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone() else None
        if row is not None and _schema_version(row[0]) > SCHEMA_VERSION:
            raise UserError(f"{shown(self.path)} has schema version {row[0]}, newer than this vbench-lite "
                            f"({SCHEMA_VERSION}); upgrade vbench-lite")

    def _init_schema(self) -> None:
        with self.transaction():
            self._refuse_foreign()  # again, inside the lock: another process may have written meanwhile
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                self.conn.execute(stmt)
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = None if row is None else _schema_version(row[0])
            if row is None:
                from vbench_lite import __version__

                self.conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('created_by', ?)",
                                  (f"vbench-lite {__version__}",))
            elif version < 2:
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
                (run_id, _text(name), "running", now, now, generator, json.dumps(settings, sort_keys=True),
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
                (*key, *map(_text, (item.suite, item.grp, item.split, item.prompt, item.status, item.error,
                                    item.video_path)), item.gen_seconds, item.metric_seconds, time.time()),
            )
            self._insert_scores(key, scores)
            for metric, reason in (skips or {}).items():
                self.conn.execute("INSERT INTO item_skips VALUES (?,?,?,?,?)", (*key, metric, _text(reason)))
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
                self.conn.execute("INSERT OR REPLACE INTO item_skips VALUES (?,?,?,?,?)",
                                  (*key, metric, _text(reason)))

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
        if name == "latest":  # the one definition: the newest run someone asked for (never a floor or reference)
            row = self.conn.execute("SELECT * FROM runs WHERE role NOT IN (?, ?) ORDER BY created DESC LIMIT 1",
                                    (FLOOR_ROLE, REFERENCE_ROLE)).fetchone()
        else:  # an exact name first, else an id prefix; more than one match is an error, never a guess
            def line(r) -> str:  # what tells two runs of one name apart
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r["created"]))
                return f"{r['run_id']} ({r['generator']}, seeds {json.loads(r['seeds'] or '[]')}, {when})"

            rows = self.conn.execute("SELECT * FROM runs WHERE name=? ORDER BY created DESC", (name,)).fetchall()
            what = "name"
            if not rows:
                rows = self.conn.execute("SELECT * FROM runs WHERE substr(run_id, 1, ?)=? ORDER BY created DESC",
                                         (len(name), name)).fetchall()
                what = "id prefix"
            if len(rows) > 1:
                raise UserError(f"run {what} {name!r} is ambiguous in {self.path}: {len(rows)} runs match, "
                                + "; ".join(line(r) for r in rows[:6]) + ("; ..." if len(rows) > 6 else "")
                                + " -- pass one of these run ids")
            row = rows[0] if rows else None
        if row is None:
            known = [r[0] for r in self.conn.execute("SELECT name FROM runs ORDER BY created DESC LIMIT 5")]
            raise UserError(f"no run {name!r} in {self.path}" + (f" (recent: {', '.join(known)})" if known else ""))
        return row

    def link_reference(self, run_id: str, reference_id: str) -> None:
        """Record in ``run_id``'s provenance the run of its reference set
        (``reference_run``), which reports read beside it (``reports.scorecard``)."""
        with self.transaction():
            self.conn.execute("UPDATE runs SET provenance=json_set(provenance, '$.reference_run', ?) WHERE run_id=?",
                              (reference_id, run_id))

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
