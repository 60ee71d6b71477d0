"""Metric options are declared once (issue 26): every constructor option is declared
with a type, default and meaning, `list metrics` shows them, a bad option is one line
and exit 2 before a run exists, and giving an option its default is the same run."""

import inspect
import json

import numpy as np
import pytest

from vbench_lite.cli import main
from vbench_lite.errors import UserError
from vbench_lite.metrics import METRICS, load_metrics
from vbench_lite.metrics.options import TYPES, declared, resolve
from vbench_lite.runners.execute import prepare
from vbench_lite.runners.plan import RunSpec


@pytest.mark.parametrize("name", METRICS.names())
def test_every_constructor_option_is_declared(name):
    cls = METRICS.get(name)
    params = [p for p in inspect.signature(cls.__init__).parameters.values()
              if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    decl = declared(cls)
    assert [p.name for p in params] == list(decl), name
    for p in params:  # the declared default is the constructor's
        assert decl[p.name].default == p.default and decl[p.name].type in TYPES and decl[p.name].meaning


def test_list_metrics_shows_type_default_and_meaning(capsys):
    assert main(["list", "metrics"]) == 0
    out = capsys.readouterr().out
    assert "      num_frames    int        16   frames per clip (>= 9" in out
    assert all(len(line) <= 100 for line in out.splitlines())
    assert main(["list", "metrics", "--format", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["metrics"]}
    batch = {o["name"]: o for o in rows["fvd"]["options"]}["batch"]
    assert batch == {"name": "batch", "type": "int", "default": 8, "identity": False,
                     "meaning": "clips per forward pass (memory vs speed; the same numbers)"}


@pytest.mark.parametrize("option, message", [
    ("fvd.num_frmes=16", "fvd has no option 'num_frmes'; did you mean 'num_frames'?"),
    ("fvd.num_frames=sixteen", "num_frames must be an integer"),
    ("fvd.num_frames=4", "num_frames must be >= 9"),
    ("flicker.flow_backend=farneback", "choose one of dis, raft-large, raft-small"),
    ("clip_consistency.device=gpu", "device is cpu, cuda, cuda:N or auto"),
    ("video_kd.reference_dir=EMPTY", "video_kd.reference_dir: .* holds no video"),
    ("fvd.reference_dir=EMPTY", "fvd.reference_dir: .* holds no video"),
    ("physics_iq.reference_dir=EMPTY", "physics_iq.reference_dir: .* holds no video"),
])
def test_a_bad_option_is_one_line_before_a_run_exists(tmp_path, capsys, option, message):
    (tmp_path / "empty").mkdir()
    store = tmp_path / "r.sqlite"
    args = ["run", "-g", "simulator", "--metrics", "flicker", "--store", str(store), "--no-progress",
            "--metric-set", option.replace("EMPTY", str(tmp_path / "empty"))]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and __import__("re").search(message, err[0]), err
    assert not store.exists()


def _run_id(**options):
    return prepare(RunSpec("simulator", metrics=["flicker", "video_kd"], metric_options=options)).run_id


def test_default_valued_options_do_not_change_the_run_id(tmp_path):
    plain = _run_id()
    assert _run_id(flicker={"flow_backend": "dis"}) == plain
    assert _run_id(fvd={"num_frames": "16", "batch": "4"}) == plain  # fvd is not run; and batch never counts
    real = tmp_path / "real"
    real.mkdir()
    np.save(real / "a.npy", np.zeros((8, 32, 32, 3), np.uint8))
    changed = _run_id(video_kd={"reference_dir": str(real)})
    assert changed != plain
    assert _run_id(video_kd={"reference_dir": str(real / ".." / "real")}) == changed  # the same folder


def test_options_resolve_to_typed_values():
    cls = METRICS.get("fvd")
    values = resolve("fvd", cls, {"num_frames": "24", "device": "auto"})
    assert values["num_frames"] == 24 and values["device"] is None and values["frame_size"] == 224
    metrics, _ = load_metrics(["flicker"], {"flicker": {"flow_backend": "dis"}})
    assert metrics[0].resolved_options == {"flow_backend": "dis", "raft_path": None}
    with pytest.raises(UserError, match="flicker has no option 'backend'; did you mean 'flow_backend'"):
        load_metrics(["flicker"], {"flicker": {"backend": "dis"}})
