"""The ``reference-dit`` generator: checkpoint loading, seeding, rollout length, bad input."""

import json

import numpy as np
import pytest
import torch

from vbench_lite.case import Case
from vbench_lite.errors import GeneratorError, UserError
from vbench_lite.generators import create_generator
from vbench_lite.generators.dit.model import DiT, DiTConfig
from vbench_lite.generators.dit.generator import SHIPPED, ReferenceDiTGenerator
from vbench_lite.generators.dit.train import CHECKPOINT, DEFAULTS, learning_rate, main as train_main, save_checkpoint

TINY = DiTConfig(frames=8, height=16, width=16, patch=(4, 4, 4), dim=32, depth=2, heads=2, text_len=8)


pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model = DiT(TINY)
    with torch.no_grad():  # stand-in for training: give the zero-initialised layers weights
        for p in model.parameters():
            if torch.count_nonzero(p) == 0:
                p.normal_(0, 0.05)
    out = tmp_path_factory.mktemp("ckpt")
    save_checkpoint(out, model, {"note": "test"}, {"steps": 0})
    return out / CHECKPOINT


def case(i: int, seed: int = 0, frames: int = 20, size: int = 16, k: int = 4, prompt: str = "a red ball") -> Case:
    cond = np.random.default_rng(i).integers(0, 256, (k, size, size, 3), dtype=np.uint8) if k else None
    return Case(case_id=f"c{i}", prompt=prompt, num_frames=frames, height=size, width=size, seed=seed, cond_frames=cond)


def settings(path, **kw):
    """Resolved (and checked) settings, as the runner passes them to ``generate``."""
    return ReferenceDiTGenerator().resolve_settings({"checkpoint": str(path), "steps": 2, "window": 8,
                                                     "overlap": 4, **kw})


def test_registered_and_declares_native_geometry():
    gen = create_generator("reference-dit")
    assert isinstance(gen, ReferenceDiTGenerator)
    caps = gen.capabilities
    assert caps.resolution == (32, 32) and caps.num_frames == 32 and caps.cond_frames == 4 and caps.text
    spec = caps.render_spec()
    assert (spec.height, spec.width, spec.num_frames, spec.cond_frames) == (32, 32, 32, 4)


def test_declares_its_rollout_seams():
    gen = ReferenceDiTGenerator()
    assert gen.seams(gen.resolve_settings({}), 32) == [15, 27]  # windows of 16 start at 0, 12, 24
    assert gen.seams(gen.resolve_settings({"window": "8", "overlap": "2"}), 20) == [7, 13]  # starts 0, 6, 12
    assert gen.seams(gen.resolve_settings({}), 16) == []  # one window, no seam


def test_rollout_length_and_given_frames_through_the_generator(tiny_checkpoint):
    gen = ReferenceDiTGenerator()
    videos = gen.generate([case(0, frames=20), case(1, frames=8, k=1), case(2, frames=12, k=0, prompt="")],
                          settings(tiny_checkpoint))
    assert [v.num_frames for v in videos] == [20, 8, 12]
    assert all((v.height, v.width) == (16, 16) for v in videos)
    assert np.array_equal(videos[0].frames[:4], case(0).cond_frames)  # the given frames come back as given
    assert np.array_equal(videos[1].frames[:1], case(1, k=1).cond_frames)


def test_given_frames_uses_only_that_many_of_the_case_frames(tiny_checkpoint):
    gen = ReferenceDiTGenerator()
    full = gen.generate([case(0)], settings(tiny_checkpoint))[0]
    one = gen.generate([case(0)], settings(tiny_checkpoint, given_frames=1))[0]
    none = gen.generate([case(0)], settings(tiny_checkpoint, given_frames="0"))[0]
    cond = case(0).cond_frames
    assert full.meta["k_given"] == 4 and one.meta["k_given"] == 1 and none.meta["k_given"] == 0
    assert np.array_equal(one.frames[:1], cond[:1])
    assert np.abs(one.frames[1:4].astype(int) - cond[1:4]).mean() > 10  # frames 1-3 are generated, not pasted
    assert np.abs(none.frames[:1].astype(int) - cond[:1]).mean() > 10
    # a case with fewer frames than asked keeps what it has; negative = all
    assert gen.generate([case(1, k=2)], settings(tiny_checkpoint, given_frames=3))[0].meta["k_given"] == 2
    with pytest.raises(UserError, match="given_frames must be at most the model's 4"):
        settings(tiny_checkpoint, given_frames=5)


def test_a_motion_request_outside_the_trained_speeds_is_flagged(tiny_checkpoint, tmp_path):
    ckpt = tmp_path / "m.safetensors"
    ckpt.write_bytes(tiny_checkpoint.read_bytes())
    meta = json.loads(tiny_checkpoint.with_suffix(".json").read_text())
    meta["training"]["stages"] = [{"speed_px_per_frame": {"min": 0.3, "median": 0.6, "max": 0.9}},
                                  {"speed_px_per_frame": {"min": 0.4, "median": 0.7, "max": 1.2}}]
    ckpt.with_suffix(".json").write_text(json.dumps(meta))
    for motion, flagged in ((-1.0, False), (0.3, False), (1.2, False), (2.0, True), (0.0, True)):
        gen = ReferenceDiTGenerator()
        s = gen.resolve_settings({"checkpoint": str(ckpt), "motion": motion, "window": 8})  # said before any video
        gen.resolve_settings(s)  # once per checkpoint and value, however often resolved
        assert bool(gen.warnings) == flagged, (motion, gen.warnings)
        if flagged:
            assert len(gen.warnings) == 1 and "0.30-1.20 px/frame" in gen.warnings[0]
    gen = ReferenceDiTGenerator()  # no speeds recorded: nothing to say
    gen.resolve_settings({"checkpoint": str(tiny_checkpoint), "motion": 5.0, "window": 8})
    assert gen.warnings == []


def test_deterministic_per_seed_and_independent_of_the_batch(tiny_checkpoint):
    gen = ReferenceDiTGenerator()
    s = settings(tiny_checkpoint, guidance=2.0)
    alone = gen.generate([case(0, seed=7)], s)[0].frames
    again = gen.generate([case(0, seed=7)], s)[0].frames
    in_batch = gen.generate([case(5, seed=1), case(0, seed=7), case(6, seed=2)], s)[1].frames
    other_seed = gen.generate([case(0, seed=8)], s)[0].frames
    assert np.array_equal(alone, again)
    # batched matmuls may round differently; allow one grey level
    assert np.abs(alone.astype(int) - in_batch.astype(int)).max() <= 1
    assert np.abs(alone.astype(int) - other_seed.astype(int)).mean() > 1.0


def test_knobs_change_the_output(tiny_checkpoint):
    gen = ReferenceDiTGenerator()
    base = gen.generate([case(0)], settings(tiny_checkpoint))[0].frames.astype(int)
    for knob in ({"motion": 1.5}, {"guidance": 2.0}, {"steps": 8}, {"sampler": "heun"}):
        other = gen.generate([case(0)], settings(tiny_checkpoint, **knob))[0].frames.astype(int)
        assert np.abs(base - other)[4:].mean() > 0.1, knob


def test_bad_input_fails_clearly(tiny_checkpoint, tmp_path):
    gen = ReferenceDiTGenerator()
    out = gen.generate([case(0, size=24), case(1)], settings(tiny_checkpoint))
    assert isinstance(out[0], GeneratorError) and "16x16" in str(out[0])
    assert out[1].num_frames == 20
    for bad, match in (({"window": 6}, "window"), ({"window": 12}, "window"), ({"overlap": 0}, "overlap"),
                       ({"sampler": "ddim"}, "sampler"), ({"steps": 0}, "steps"), ({"dtype": "int8"}, "dtype")):
        with pytest.raises(UserError, match=match):  # checked once, before anything runs
            settings(tiny_checkpoint, **bad)
    with pytest.raises(UserError, match="does not exist"):
        settings(tmp_path / "nope.safetensors")
    with pytest.raises(UserError, match="no setting"):
        gen.resolve_settings({"stepz": 3})


def test_fingerprint_follows_the_checkpoint_bytes(tiny_checkpoint, tmp_path):
    gen = ReferenceDiTGenerator()
    fp = gen.fingerprint(settings(tiny_checkpoint))
    copy = tmp_path / "copy.safetensors"
    data = bytearray(tiny_checkpoint.read_bytes())
    data[-1] ^= 1
    copy.write_bytes(bytes(data))
    copy.with_suffix(".json").write_bytes(tiny_checkpoint.with_suffix(".json").read_bytes())
    assert len(fp) == 16 and fp != gen.fingerprint(settings(copy))


def test_training_command_writes_checkpoint_config_and_log(tmp_path):
    cfg = tmp_path / "train.json"
    cfg.write_text(json.dumps({
        "preset": "DiT-T", "model": {"frames": 8, "height": 16, "width": 16, "dim": 32, "depth": 1, "heads": 2},
        "batch_size": 2, "source": "synthetic", "threads": 1, "log_every": 1,
    }))
    train_main(["--config", str(cfg), "--out", str(tmp_path / "out"), "--max-steps", "3"])
    meta = json.loads((tmp_path / "out" / "reference_dit.json").read_text())
    assert meta["training"]["steps"] == 3 and meta["model"]["dim"] == 32
    assert len((tmp_path / "out" / "train_log.csv").read_text().splitlines()) == 4  # header + 3 steps
    video = ReferenceDiTGenerator().generate([case(0, frames=8)], settings(tmp_path / "out" / CHECKPOINT))[0]
    assert video.num_frames == 8
    # continuing from the checkpoint starts from its weights
    cfg.write_text(json.dumps({**json.loads(cfg.read_text()), "init_from": str(tmp_path / "out" / CHECKPOINT)}))
    train_main(["--config", str(cfg), "--out", str(tmp_path / "more"), "--max-steps", "1"])
    assert (tmp_path / "more" / CHECKPOINT).is_file()
    with pytest.raises(UserError, match="lr_schedule must be one of"):
        cfg.write_text(json.dumps({"lr_schedule": "linear"}))
        train_main(["--config", str(cfg), "--out", str(tmp_path / "x")])
    with pytest.raises(UserError, match="unknown keys"):
        cfg.write_text(json.dumps({"batchsize": 2}))
        train_main(["--config", str(cfg), "--out", str(tmp_path / "x")])


def test_cosine_schedule_warms_up_then_decays_to_zero_over_the_budget():
    cfg = {**DEFAULTS, "lr": 1e-3, "warmup_steps": 10, "max_steps": 1000, "max_minutes": 10.0}
    assert learning_rate(cfg, 0, 0.0) == pytest.approx(1e-4)  # warm-up
    assert learning_rate(cfg, 500, 0.0) == pytest.approx(1e-3)  # constant by default
    cos = {**cfg, "lr_schedule": "cosine"}
    assert learning_rate(cos, 500, 0.0) == pytest.approx(5e-4)  # half the steps
    assert learning_rate(cos, 10, 300.0) == pytest.approx(5e-4)  # half the minutes: whichever is further
    assert learning_rate(cos, 999, 600.0) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped checkpoint yet")
def test_shipped_checkpoint_loads_and_generates_a_probe_length_video():
    gen = ReferenceDiTGenerator()
    model = gen.model(gen.settings)
    assert (model.config.height, model.config.width) == gen.capabilities.resolution
    c = case(0, frames=32, size=32)
    video = gen.generate([c], gen.resolve_settings({"steps": 1}))[0]
    assert video.num_frames == 32 and np.array_equal(video.frames[:4], c.cond_frames)


def _second_checkpoint(tiny_checkpoint, folder, name: str):
    """A copy of the tiny checkpoint with different weights, saved as ``folder/name``."""
    from vbench_lite.generators.dit.generator import load_model

    torch.manual_seed(1)
    model = load_model(tiny_checkpoint, torch.device("cpu"))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    save_checkpoint(folder, model, {"note": "test"}, {"steps": 0, "scenarios": [name]})
    (folder / CHECKPOINT).rename(folder / f"{name}.safetensors")
    (folder / "reference_dit.json").rename(folder / f"{name}.json")
    return folder / f"{name}.safetensors"


def test_specialists_generate_the_cases_of_their_scenario(tiny_checkpoint, tmp_path):
    import dataclasses

    spec_dir = tmp_path / "spec"
    special = _second_checkpoint(tiny_checkpoint, spec_dir, "parabola")
    gen = ReferenceDiTGenerator()
    a = dataclasses.replace(case(0, seed=3), group="parabola")
    b = dataclasses.replace(case(1, seed=3), group="bounce")
    with_spec = settings(tiny_checkpoint, specialists=str(spec_dir))
    va, vb = gen.generate([a, b], with_spec)
    assert va.meta.get("specialist") == "parabola" and "specialist" not in vb.meta
    # the parabola case is exactly what the specialist makes on its own, the other the general model's
    assert np.array_equal(va.frames, gen.generate([a], settings(special, specialists="none"))[0].frames)
    assert np.array_equal(vb.frames, gen.generate([b], settings(tiny_checkpoint, specialists="none"))[0].frames)
    assert not np.array_equal(va.frames, gen.generate([a], settings(tiny_checkpoint, specialists="none"))[0].frames)
    # the run's identity covers the specialists; "auto" with a non-shipped checkpoint uses none
    assert gen.fingerprint(with_spec) != gen.fingerprint(settings(tiny_checkpoint, specialists="none"))
    assert gen.fingerprint(settings(tiny_checkpoint)) == gen.fingerprint(settings(tiny_checkpoint, specialists="none"))
    with pytest.raises(UserError, match="specialists must be"):
        settings(tiny_checkpoint, specialists=str(tmp_path / "missing"))


def test_a_specialist_of_another_geometry_is_refused(tiny_checkpoint, tmp_path):
    spec_dir = tmp_path / "spec"
    model = DiT(DiTConfig(frames=8, height=32, width=32, patch=(4, 4, 4), dim=32, depth=1, heads=2, text_len=8))
    save_checkpoint(spec_dir, model, {}, {"steps": 0})
    (spec_dir / CHECKPOINT).rename(spec_dir / "bounce.safetensors")
    (spec_dir / "reference_dit.json").rename(spec_dir / "bounce.json")
    with pytest.raises(UserError, match="must match"):
        settings(tiny_checkpoint, specialists=str(spec_dir))


def test_training_on_chosen_scenarios_only():
    from vbench_lite.generators.dit.data import clip_batches

    cfg = DiTConfig(frames=8, height=16, width=16, dim=32, depth=1, heads=2, text_len=8)
    _frames, prompts, _speeds = next(clip_batches(cfg, 6, seed=1, source="world", scenarios=["parabola"]))
    assert all("thrown" in p for p in prompts)  # every clip is a parabola
    with pytest.raises(ValueError, match="unknown scenarios"):
        next(clip_batches(cfg, 1, seed=1, source="world", scenarios=["nope"]))
