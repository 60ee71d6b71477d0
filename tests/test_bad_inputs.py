"""The bad-input corpus of the command line (issue 16): every way a hostile or unlucky
user broke vbench-lite, one line per case.

Each case runs the real ``vbench-lite`` in a subprocess, in a folder of its own, with
``{store}`` a store that already holds a finished run, and checks what every bad input
owes the user: the documented exit code (2 bad input, 3 the machine, 0 when the run
goes on and fails only the bad item), one line on stderr saying what is wrong (never a
traceback), the store intact with every row stored before still there, a database that
is not ours byte-for-byte untouched, and no file written outside the store's folder.
Tests after the corpus cover what is not one command: orphaned workers, Ctrl-C,
debris of a killed cache write, bit-identical motion timelines, Markdown escaping.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from helpers.common import moving_square, run_cli, write_prompt_suite
from vbench_lite.io import write_cache, write_preview
from vbench_lite.video import Video

RUN = "--metrics flicker --no-progress --no-floor --no-report"  # a quick `run`
EVAL = "--metrics flicker --no-progress"  # a quick `eval`
STORE = "a/b/store/s.sqlite"  # nested, so a name like ../../x would land inside the case folder


@dataclass
class Bad:
    id: str
    args: str  # {tmp}: the case folder (also the working directory); {store}: a store with a finished run
    code: int  # exit code
    says: str = ""  # regex the one stderr line must match (code 0: nothing on stderr)
    setup: str = ""  # a function of SETUPS that makes the files the case needs in {tmp}
    items: str = ""  # code 0: "ok,failed" items of the run the command made
    untouched: str = ""  # a file (not our store) that must stay byte-identical
    env: dict = field(default_factory=dict)
    fsize: int = 0  # file-size limit (bytes) of the command: a disk that fills up


CASES = [
    # file names and links in an eval folder
    Bad("non-UTF-8 names in an eval folder", f"eval {{tmp}}/nonutf8 --store {{store}} {EVAL}", 0, setup="nonutf8", items="4,1"),
    Bad("symlink loops in an eval folder", f"eval {{tmp}}/loops --store {{store}} {EVAL}", 0, setup="loops", items="1,1"),
    Bad("a symlink loop as the eval path", f"eval {{tmp}}/loops/loop.npz --store {{store}} {EVAL}", 2, "symlink loop", "loops"),
    # a store that is not ours, or not a store at all
    Bad("another application's database", f"run -g simulator --store {{tmp}}/app.db {RUN}", 2,
        r"app\.db is not a vbench-lite results store: .*customers.*untouched", "foreign_db", untouched="app.db"),
    Bad("another application's db, report", "report latest --store {tmp}/app.db", 2, "not a vbench-lite results store",
        "foreign_db", untouched="app.db"),
    Bad("runs table with other columns", f"run -g simulator --store {{tmp}}/odd.db {RUN}", 2,
        "runs table has other columns", "odd_runs_db", untouched="odd.db"),
    Bad("schema_version not an integer", f"run -g simulator --store {{tmp}}/text.db {RUN}", 2,
        "schema_version 'two' is not an integer", "text_version_db", untouched="text.db"),
    Bad("meta created by another app", f"run -g simulator --store {{tmp}}/other.db {RUN}", 2,
        "created by 'otherapp 3.1'", "other_creator_db", untouched="other.db"),
    Bad("a text file as the store", f"run -g simulator --store {{tmp}}/notes.txt {RUN}", 2,
        "not a vbench-lite results store", "text_file", untouched="notes.txt"),
    Bad("a store of a newer schema", f"run -g simulator --store {{tmp}}/new.db {RUN}", 2,
        "newer than this vbench-lite", "newer_db", untouched="new.db"),
    # paths that cannot be what they are asked to be
    Bad("--store under a file", f"run -g simulator --store {{tmp}}/afile/s.sqlite {RUN}", 2,
        "afile is a file, not a folder", "afile"),
    Bad("--store is a folder", f"run -g simulator --store {{tmp}}/a {RUN}", 2, "is a folder; give a file"),
    Bad("--cache-dir names a file", f"run -g simulator --store {{store}} --cache-dir {{tmp}}/afile {RUN}", 2,
        "--cache-dir .*afile is a file, not a folder", "afile"),
    Bad("--cache-dir under a file", f"run -g simulator --store {{store}} --cache-dir {{tmp}}/afile/v {RUN}", 2,
        "afile is a file, not a folder", "afile"),
    Bad("-s x.toml is a folder", f"run -g simulator --store {{store}} -s {{tmp}}/x.toml {RUN}", 2,
        "suite file .*x.toml is a folder", "toml_folder"),
    Bad("eval of a missing path", f"eval {{tmp}}/nope/clip.npz --store {{store}} {EVAL}", 2, "no such file"),
    # numbers that would allocate the machine away or collide
    Bad("--seeds 0-2000000000", f"run -g simulator --store {{store}} --seeds 0-2000000000 {RUN}", 2,
        "over 10000 seeds"),
    Bad("--seeds with a negative seed", f"run -g simulator --store {{store}} --seeds=-1 {RUN}", 2,
        r"whole numbers >= 0"),
    Bad("--seeds range backwards", f"run -g simulator --store {{store}} --seeds 5-3 {RUN}", 2, "ends before it starts"),
    Bad("--seeds beyond 64 bits", f"run -g simulator --store {{store}} --seeds 99999999999999999999 {RUN}", 2,
        "seeds go up to 4294967295"),
    Bad("--workers -1", f"run -g simulator --store {{store}} --workers=-1 {RUN}", 2, "--workers -1"),
    Bad("eval --fps nan", f"eval {{tmp}}/clip.npz --fps nan --store {{store}} {EVAL}", 2, "--fps nan", "clip"),
    # names: never a path, never too long for a file name
    Bad("--name of 300 characters", f"run -g simulator --store {{store}} --name {'n' * 300} {RUN}", 2,
        "--name is 300 characters; the limit is 200"),
    Bad("--name with a newline", f"run -g simulator --store {{store}} --name 'a\nb' {RUN}", 2, "control character"),
    Bad("--name ../../../escaped", "run -g simulator --store {store} --name ../../../escaped " + RUN.replace(
        " --no-report", ""), 0, items="16,0"),
    Bad("--name /abs/path", "run -g simulator --store {store} --name {tmp}/abs/x " + RUN.replace(" --no-report", ""),
        0, items="16,0"),
    Bad("--name with a slash", "run -g simulator --store {store} --name x/y/z " + RUN.replace(" --no-report", ""),
        0, items="16,0"),
    # generator settings that would write outside its folder
    Bad("command ext with a path", "run -g command --set argv='[\"true\"]' --set ext=/../../x --store {store} "
        + RUN, 2, "expected a file extension"),
    Bad("command timeout 0", "run -g command --set argv='[\"true\"]' --set timeout=0 --store {store} " + RUN, 2,
        "timeout=0.0"),
    Bad("folder manifest with a bad seed", "run -g folder --set manifest={tmp}/m.csv --store {store} -s prompts-basic "
        + RUN, 2, "seed 'x' is not a whole number", "bad_manifest"),
    # long videos: refused before decoding, by a budget the user sets
    Bad("30,000-frame video", f"eval {{tmp}}/long.npz --store {{store}} {EVAL}", 0, setup="long_video", items="0,1"),
    Bad("video over a lowered budget", f"eval {{tmp}}/clip.npz --store {{store}} {EVAL}", 0, setup="clip",
        items="0,1", env={"VBENCH_LITE_MAX_FRAMES": "5"}),
    # a video file is streamed (runners.streaming): the budget binds only metrics that hold it whole
    Bad("mp4 over a lowered budget, streamed", f"eval {{tmp}}/clip.mp4 --store {{store}} {EVAL}", 0,
        setup="clip_mp4", items="1,0", env={"VBENCH_LITE_MAX_FRAMES": "5"}),
    Bad("generator over the budget", f"run -g simulator --store {{store}} {RUN}", 2, "over the budget of 10 frames",
        env={"VBENCH_LITE_MAX_FRAMES": "10"}),
    Bad("budget not a number", f"eval {{tmp}}/clip.npz --store {{store}} {EVAL}", 2, "VBENCH_LITE_MAX_FRAMES='lots'",
        "clip", env={"VBENCH_LITE_MAX_FRAMES": "lots"}),
    # the disk fills up mid-run (a file-size limit: SQLite and the cache get EFBIG)
    Bad("disk full during a run", "run -g simulator --store {store} --seeds 1-40 --metrics flicker,motion "
        "--no-progress --no-floor --no-report", 3, r"(disk I/O error|disk is full|File too large|No space)",
        fsize=160_000),
]


# ---------------------------------------------------------------- setups
def _npz(path: Path, t=10, size=32, seed=0) -> Path:
    return write_cache(Video(moving_square(t=t, size=size, seed=seed)), path)


def setup_nonutf8(tmp: Path) -> None:
    d = tmp / "nonutf8"
    _npz(d / "ok.npz")
    _npz(Path(os.fsdecode(os.fsencode(d) + b"/bad\xff.npz")), seed=1)
    Path(os.fsdecode(os.fsencode(d) + b"/broken\xfe.mp4")).write_bytes(b"not a video " * 100)
    write_preview(Video(moving_square(t=8)), Path(os.fsdecode(os.fsencode(d) + b"/clip\xfb.mp4")))  # OpenCV crashed
    frames = Path(os.fsdecode(os.fsencode(d) + b"/frames\xfd"))
    frames.mkdir()
    import cv2

    for i, f in enumerate(moving_square(t=6)):
        ok, png = cv2.imencode(".png", f[..., ::-1])
        Path(os.fsdecode(os.fsencode(frames) + f"/{i}".encode() + b"\xfc.png")).write_bytes(png.tobytes())


def setup_loops(tmp: Path) -> None:
    d = tmp / "loops"
    _npz(d / "ok.npz")
    (d / "loop.npz").symlink_to("loop.npz")
    (d / "self").symlink_to(".")


def _sqlite(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for s in statements:
        conn.execute(s)
    conn.commit()
    conn.close()


OUR_META = ("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",)


def setup_foreign_db(tmp):
    _sqlite(tmp / "app.db", "CREATE TABLE customers (id INTEGER, name TEXT)", "INSERT INTO customers VALUES (1, 'x')")


def setup_odd_runs_db(tmp):
    _sqlite(tmp / "odd.db", *OUR_META, "INSERT INTO meta VALUES ('schema_version', '2')",
            "CREATE TABLE runs (id INTEGER, foo TEXT)", "CREATE TABLE items (x)", "CREATE TABLE scores (y)")


def setup_text_version_db(tmp):
    _sqlite(tmp / "text.db", *OUR_META, "INSERT INTO meta VALUES ('schema_version', 'two')")


def setup_other_creator_db(tmp):
    _sqlite(tmp / "other.db", *OUR_META, "INSERT INTO meta VALUES ('schema_version', '2')",
            "INSERT INTO meta VALUES ('created_by', 'otherapp 3.1')")


def setup_newer_db(tmp):
    _sqlite(tmp / "new.db", *OUR_META, "INSERT INTO meta VALUES ('schema_version', '99')",
            "CREATE TABLE runs (run_id TEXT)", "CREATE TABLE items (x)", "CREATE TABLE scores (y)")


def setup_text_file(tmp):
    (tmp / "notes.txt").write_text("shopping list\n")


def setup_afile(tmp):
    (tmp / "afile").write_text("a file, not a folder\n")


def setup_toml_folder(tmp):
    (tmp / "x.toml").mkdir()


def setup_clip(tmp):
    _npz(tmp / "clip.npz")


def setup_clip_mp4(tmp):
    write_preview(Video(moving_square(t=10)), tmp / "clip.mp4")


def setup_long_video(tmp):
    # 30,000 frames that compress to almost nothing: decoded they would take ~92 MB, scored several GB
    np.savez_compressed(tmp / "long.npz", frames=np.zeros((30_000, 32, 32, 3), np.uint8))


def setup_bad_manifest(tmp):
    _npz(tmp / "v.npz")
    (tmp / "m.csv").write_text("case_id,path,seed\nbasic-000,v.npz,x\n")


SETUPS = {name[len("setup_"):]: fn for name, fn in globals().items() if name.startswith("setup_")}


# ---------------------------------------------------------------- the corpus
@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> Path:
    """A store holding one finished run, copied into each case."""
    root = tmp_path_factory.mktemp("base")
    clip = _npz(root / "base.npz")
    out = run_cli("eval", clip, "--store", root / "s.sqlite", *EVAL.split(), "--name", "base")
    assert out.returncode == 0, out.stderr
    return root / "s.sqlite"


def _rows(store: Path) -> dict[str, set]:
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {t: set(conn.execute(f"SELECT * FROM {t}")) for t in ("items", "scores", "item_skips")} | {
            "runs": set(conn.execute("SELECT run_id, name, generator, settings, seeds FROM runs"))}


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _limit_file_size(n: int):
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))


def _stderr_lines(text: str) -> list[str]:
    """stderr without FFmpeg's own chatter about a corrupt file (not ours to silence)."""
    return [ln for ln in text.strip().splitlines() if ln.strip() and not re.match(r"^\[\w+(,\w+)* @ 0x", ln)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Bad, base_store: Path, tmp_path: Path):
    store = tmp_path / STORE
    store.parent.mkdir(parents=True)
    for f in base_store.parent.glob("s.sqlite*"):
        (store.parent / f.name).write_bytes(f.read_bytes())
    if case.setup:
        SETUPS[case.setup](tmp_path)
    before_rows = _rows(store)
    before_files = _files(tmp_path)
    guarded = tmp_path / case.untouched if case.untouched else None
    guarded_sha = guarded and _sha(guarded)

    args = shlex.split(case.args.format(tmp=tmp_path, store=store))
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", **case.env)
    out = subprocess.run([sys.executable, "-m", "vbench_lite", *args], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=300, preexec_fn=_limit_file_size(case.fsize) if case.fsize else None)

    lines = _stderr_lines(out.stderr)
    assert out.returncode == case.code, (out.returncode, out.stderr[-2000:])
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    if case.code:
        assert len(lines) == 1 and lines[0].startswith("vbench-lite: error: "), out.stderr
        assert re.search(case.says, lines[0]), lines[0]
    else:
        assert not lines, out.stderr
    # the store is intact and everything stored before is still there
    after_rows = _rows(store)
    for table, rows in before_rows.items():
        assert rows <= after_rows[table], table
    if case.items:
        with sqlite3.connect(store) as conn:
            newest = conn.execute("SELECT run_id FROM runs ORDER BY created DESC LIMIT 1").fetchone()[0]
            ok, failed = (conn.execute("SELECT COUNT(*) FROM items WHERE run_id=? AND status=?", (newest, s)).fetchone()[0]
                          for s in ("ok", "failed"))
        assert f"{ok},{failed}" == case.items
    if guarded is not None:  # not ours: not one byte changed, no journal beside it
        assert _sha(guarded) == guarded_sha
        assert not [p for p in guarded.parent.iterdir() if p.name.startswith(guarded.name + "-")]
    # every file written lies in the store's folder
    new = {p for p in _files(tmp_path) - before_files}
    outside = [p for p in new if store.parent not in p.parents]
    assert not outside, outside


def test_corpus_covers_every_case_of_the_issue():
    ids = " ".join(c.id for c in CASES)
    for words in ("non-UTF-8", "symlink loop", "another application", "other columns", "not an integer",
                  "under a file", "--cache-dir", "x.toml", "disk full", "0-2000000000", "300 characters",
                  "../../../escaped", "/abs/path", "slash", "30,000-frame"):
        assert words in ids, words


def test_v1_store_of_ours_still_opens_and_migrates(tmp_path):
    """Refusing foreign databases must not refuse our own older stores."""
    from vbench_lite.store import Store

    v1 = tmp_path / "v1.sqlite"
    _sqlite(v1, *OUR_META, "INSERT INTO meta VALUES ('schema_version', '1')",
            "CREATE TABLE runs (run_id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, created REAL NOT "
            "NULL, updated REAL NOT NULL, finished REAL, generator TEXT NOT NULL, settings TEXT NOT NULL, suites TEXT "
            "NOT NULL, seeds TEXT NOT NULL, metrics TEXT NOT NULL, skipped_metrics TEXT NOT NULL, provenance TEXT "
            "NOT NULL, sweep TEXT, timings TEXT NOT NULL DEFAULT '{}')",
            "CREATE TABLE items (run_id TEXT NOT NULL, case_id TEXT NOT NULL, seed INTEGER NOT NULL, suite TEXT, "
            "grp TEXT, split TEXT, prompt TEXT, status TEXT NOT NULL, error TEXT, video_path TEXT, gen_seconds REAL, "
            "metric_seconds REAL, created REAL NOT NULL, PRIMARY KEY (run_id, case_id, seed))",
            "CREATE TABLE scores (run_id TEXT NOT NULL, case_id TEXT NOT NULL, seed INTEGER NOT NULL, metric TEXT "
            "NOT NULL, value REAL, units TEXT, higher_is_better INTEGER, source TEXT, timeline BLOB, "
            "PRIMARY KEY (run_id, case_id, seed, metric))",
            "INSERT INTO runs VALUES ('r1', 'old', 'finished', 1, 1, 1, 'simulator', '{}', '[]', '[0]', '{}', '{}', "
            "'{\"role\": \"floor\"}', NULL, '{}')")
    with Store(v1) as st:
        assert st.run("r1")["role"] == "floor"
    with sqlite3.connect(v1) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "2"
    # an empty file (touch s.sqlite) is ours to initialise
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with Store(empty) as st:
        assert st.runs() == []


# ---------------------------------------------------------------- processes
def _children(pid: int) -> list[int]:
    """Live (not zombie) child processes of ``pid``, from /proc."""
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if int(ppid) == pid and state != "Z":
                kids.append(int(d))
    return kids


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _start_workers_run(tmp_path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "vbench_lite", "run", "-g", "simulator", "--seeds", "0-3", "--workers", "2",
         "--metrics", "flicker,motion", "--no-floor", "--no-report", "--no-progress", "--store", tmp_path / "s.sqlite"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def _wait_for_children(pid: int, n: int, seconds: float = 60.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        kids = _children(pid)
        if len(kids) >= n:
            return kids
        time.sleep(0.02)
    pytest.fail(f"no {n} worker processes appeared")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("delay", [0.2, 2.0], ids=["during start-up", "while scoring"])
def test_no_worker_outlives_a_killed_parent(tmp_path, delay):
    proc = _start_workers_run(tmp_path)
    try:
        _wait_for_children(proc.pid, 3)  # the resource tracker and two workers
        time.sleep(delay)
        kids = _children(proc.pid)
        proc.kill()  # SIGKILL: no cleanup code of ours runs
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(k) for k in kids):
            time.sleep(0.05)
        survivors = [k for k in kids if _alive(k)]
        assert not survivors, f"orphaned worker processes: {survivors}"
    finally:
        for k in _children(proc.pid):
            os.kill(k, signal.SIGKILL)
        proc.kill()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("delay", [0.0, 1.0], ids=["during start-up", "while scoring"])
def test_ctrl_c_with_workers_is_one_quiet_line(tmp_path, delay):
    proc = _start_workers_run(tmp_path)
    try:
        _wait_for_children(proc.pid, 2)
        time.sleep(delay)
        kids = _children(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal does: the whole foreground group
        _, err = proc.communicate(timeout=60)
        err = err.decode()
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        assert "interrupted; re-run the same command to resume" in err
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(k) for k in kids):
            time.sleep(0.05)
        assert not [k for k in kids if _alive(k)]
    finally:
        proc.kill()


# ---------------------------------------------------------------- files and values
def test_resume_removes_the_debris_of_a_killed_cache_write(tmp_path):
    """A SIGKILL between creating a cache file's temporary and renaming it leaves
    the temporary; the next run removes those of dead writers, keeps a live one's."""
    from vbench_lite.io import remove_stale_temp_files

    store = tmp_path / "s.sqlite"
    assert run_cli("run", "-g", "simulator", "--store", store, *RUN.split()).returncode == 0
    cache = next((tmp_path / "videos").iterdir())
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = os.uname().nodename
    killed = cache / f".bounce-id-000__s0.npz~{int(dead.stdout)}@{host}.tmp"
    legacy = cache / "tmpab12cd.tmp"  # the older naming, an hour old
    live = cache / f".x.npz~{os.getpid()}@{host}.tmp"
    for p in (killed, legacy, live):
        p.write_bytes(b"half a video")
    os.utime(legacy, (time.time() - 7200, time.time() - 7200))
    out = run_cli("run", "-g", "simulator", "--store", store, *RUN.split())
    assert out.returncode == 0, out.stderr
    assert not killed.exists() and not legacy.exists() and live.exists()
    assert remove_stale_temp_files(cache) == 0  # the live writer's file stays


def test_command_placeholders_in_a_prompt_reach_the_program_verbatim(tmp_path):
    from vbench_lite.generators.command import _fill

    fields = {"prompt": "draw {out} with {seed} and {case_json}", "out": "/tmp/o.npz", "seed": "7",
              "case_json": "/tmp/c.json"}
    assert _fill("--prompt={prompt}", fields) == "--prompt=draw {out} with {seed} and {case_json}"
    assert _fill("{out}:{seed}", fields) == "/tmp/o.npz:7"
    # end to end: the program logs the prompt it was given
    log = tmp_path / "prompts.txt"
    program = ("import sys, numpy as np; open(sys.argv[2], 'a').write(sys.argv[1] + '\\n'); "
               "np.savez(sys.argv[3], frames=np.zeros((8, 32, 32, 3), np.uint8))")
    argv = json.dumps([sys.executable, "-c", program, "{prompt}", str(log), "{out}"])
    suite = write_prompt_suite(tmp_path / "s.toml", {"p1": "a {out} b {seed} c {case_json} {prompt}"})
    out = run_cli("run", "-g", "command", "--set", f"argv={argv}", "--set", "ext=.npz", "-s", suite,
                  "--store", tmp_path / "s.sqlite", *RUN.split())
    assert out.returncode == 0, out.stderr
    assert log.read_text() == "a {out} b {seed} c {case_json} {prompt}\n"


def test_motion_timelines_are_bit_identical_whatever_the_memory_alignment():
    from vbench_lite.metrics.flow import PairFlows
    from vbench_lite.metrics.motion import flow_magnitudes

    flows = (np.random.default_rng(0).standard_normal((5, 61, 67, 2)) * 3).astype(np.float32)

    def at_offset(a, offset):  # the same values at another address
        buf = np.empty(a.nbytes + 64, np.uint8)
        view = buf[offset:offset + a.nbytes].view(a.dtype).reshape(a.shape)
        view[...] = a
        return view

    results = {tuple(x.tobytes() for x in flow_magnitudes(PairFlows(None, f, f, None, None, 0.5, "dis")))
               for f in (at_offset(flows, o) for o in range(0, 64, 4))}
    assert len(results) == 1


def test_identical_runs_store_identical_motion_timelines(tmp_path):
    store = tmp_path / "s.sqlite"
    for name in ("one", "two"):
        out = run_cli("run", "-g", "simulator", "--store", store, "--name", name, "--metrics", "motion",
                      "--no-progress", "--no-floor", "--no-report")
        assert out.returncode == 0, out.stderr
    with sqlite3.connect(store) as conn:
        rows = conn.execute("SELECT r.name, s.case_id, s.metric, s.value, s.timeline FROM scores s JOIN runs r "
                            "USING (run_id) ORDER BY s.case_id, s.metric").fetchall()
    one = [r[1:] for r in rows if r[0] == "one"]
    two = [r[1:] for r in rows if r[0] == "two"]
    assert one and one == two


def test_markdown_export_escapes_user_text():
    import pandas as pd

    from vbench_lite.reports.export import md_table, md_text

    evil = "<script>alert(1)</script> [click](javascript:alert(2)) ![x](http://t/x.png) `code` a|b\nc"
    md = md_table(pd.DataFrame({"prompt": [evil]}))
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "[click](" not in md and "\\[click\\](" in md and "![x](" not in md
    assert "a\\|b c" in md and "\\`code\\`" in md and "\n" not in md_text(evil)
