"""folder, command and degraded generators."""

import numpy as np
import pytest

from helpers.common import command_argv, moving_square
from vbench_lite.case import Case
from vbench_lite.errors import GeneratorError, UserError
from vbench_lite.generators import create_generator
from vbench_lite.generators.degraded import KINDS, degrade_frames
from vbench_lite.io import write_cache
from vbench_lite.video import Video


def _settings(gen, **kw):
    return gen.resolve_settings({k: str(v) for k, v in kw.items()})


def test_folder_by_name_and_manifest(tmp_path):
    write_cache(Video(moving_square()), tmp_path / "a.npz")
    write_cache(Video(moving_square(seed=1)), tmp_path / "b__s1.npz")
    write_cache(Video(moving_square()), tmp_path / "stray.npz")
    gen = create_generator("folder")
    st = _settings(gen, root=tmp_path)
    cases = [Case("a"), Case("b", seed=1), Case("missing")]
    out = gen.generate(cases, st)
    assert isinstance(out[0], Video) and isinstance(out[1], Video)
    assert isinstance(out[2], GeneratorError) and "missing" in str(out[2])
    gen.finish(cases)
    assert any("stray" in w for w in gen.warnings)

    manifest = tmp_path / "m.csv"
    manifest.write_text("case_id,path\na,a.npz\nghost,does_not_exist.mp4\n")
    gen2 = create_generator("folder")
    out = gen2.generate([Case("a"), Case("ghost")], _settings(gen2, manifest=manifest))
    assert isinstance(out[0], Video)
    assert isinstance(out[1], GeneratorError) and "does not exist" in str(out[1])


def test_folder_needs_root():
    gen = create_generator("folder")
    with pytest.raises(UserError, match="root"):
        gen.generate([Case("a")], gen.resolve_settings({}))


def test_unknown_setting_suggests():
    with pytest.raises(UserError, match="did you mean 'root'"):
        create_generator("folder").resolve_settings({"rot": "x"})


def test_command_generator_ok_fail_timeout(tmp_path):
    gen = create_generator("command")
    st = _settings(gen, argv=command_argv(), ext=".npz")
    ok, bad = gen.generate([Case("x", prompt="a ball; rm -rf /"), Case("y", prompt="FAIL please")], st)
    assert isinstance(ok, Video) and ok.num_frames == 8
    assert isinstance(bad, GeneratorError) and "exited 3" in str(bad) and "out of memory" in str(bad)
    st_hang = _settings(gen, argv=command_argv("--mode", "hang"), ext=".npz", timeout=1)
    (hung,) = gen.generate([Case("z")], st_hang)
    assert isinstance(hung, GeneratorError) and "timed out" in str(hung)
    st_none = _settings(gen, argv=command_argv("--mode", "noout"), ext=".npz")
    (none,) = gen.generate([Case("w")], st_none)
    assert "wrote no video" in str(none)
    with pytest.raises(UserError, match="JSON list"):
        gen.generate([Case("v")], _settings(gen, argv="python make.py {out}"))


def test_command_never_uses_a_shell(tmp_path):
    marker = tmp_path / "pwned"
    gen = create_generator("command")
    st = _settings(gen, argv=command_argv(), ext=".npz")
    (v,) = gen.generate([Case("s", prompt=f"x $(touch {marker}) `touch {marker}`")], st)
    assert isinstance(v, Video) and not marker.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_degradations_are_seeded_monotone_and_identity_at_zero(kind):
    rng = np.random.default_rng(0)
    base = np.clip(moving_square(t=12, size=48).astype(int) + rng.integers(0, 60, (12, 48, 48, 3)), 0, 255).astype(np.uint8)
    assert np.array_equal(degrade_frames(base, kind, 0.0, seed=3), base)
    a = degrade_frames(base, kind, 0.6, seed=3)
    assert np.array_equal(a, degrade_frames(base, kind, 0.6, seed=3))
    assert np.array_equal(a[0], base[0])  # the first frame is never touched
    dist = [np.abs(degrade_frames(base, kind, s, seed=3).astype(float) - base).mean() for s in (0.2, 0.5, 1.0)]
    assert dist[0] > 0 and dist[0] <= dist[1] <= dist[2], (kind, dist)


def test_degraded_wraps_another_generator(tmp_path):
    write_cache(Video(moving_square()), tmp_path / "a.npz")
    gen = create_generator("degraded")
    st = gen.resolve_settings({"base": "folder", "base.root": str(tmp_path), "kind": "flicker", "strength": "0.8"})
    (v,) = gen.generate([Case("a", seed=2)], st)
    assert v.meta["degradation"] == {"kind": "flicker", "strength": 0.8}
    assert not np.array_equal(v.frames, moving_square())
    with pytest.raises(UserError, match="strength"):
        gen.resolve_settings({"base": "folder", "strength": "2"})
    assert gen.seams(st, 8) == []  # a folder's clips have no rollout seams


def test_degraded_passes_the_base_generators_seams_through():
    pytest.importorskip("torch")
    gen = create_generator("degraded")
    st = gen.resolve_settings({"base": "reference-dit", "kind": "flicker"})
    assert gen.seams(st, 32) == [15, 27]
