"""The SVD, CogVideoX and LTX-Video adapters on tiny randomly initialised REAL diffusers
pipelines (``tests/helpers/tiny_pipelines.py``), loaded through the adapters' own
``from_pretrained`` path (``--set model=<folder>``): outputs, seeds, knobs, rules,
pass-through, memory options, fingerprints, and one run per family through the runner.

Skipped without diffusers -- except under ``CI=true``, where that is a failure.
"""

import functools
import json
import time

import numpy as np
import pytest

from helpers.common import moving_square, write_prompt_suite
from helpers.diffusers_testing import record_calls, require_diffusers
from vbench_lite.case import Case
from vbench_lite.errors import UserError
from vbench_lite.generators import create_generator
from vbench_lite.video import Video


@pytest.fixture(scope="module", autouse=True)
def diffusers_here():
    require_diffusers()


@pytest.fixture(autouse=True)
def _one_thread(torch_one_thread):
    yield


class Tiny:
    """Tiny pipeline folders, each built once per module, on first use."""

    def __init__(self, root):
        self.root = root

    @functools.cached_property
    def svd(self):
        from helpers.tiny_pipelines import tiny_svd_folder

        return tiny_svd_folder(self.root / "svd")

    @functools.cached_property
    def cog(self):
        from helpers.tiny_pipelines import tiny_cogvideox_folder

        return tiny_cogvideox_folder(self.root / "cog")

    @functools.cached_property
    def cog_i2v(self):
        from helpers.tiny_pipelines import tiny_cogvideox_folder

        return tiny_cogvideox_folder(self.root / "cog-i2v", mode="i2v")

    @functools.cached_property
    def ltx(self):
        from helpers.tiny_pipelines import tiny_ltx_folder

        return tiny_ltx_folder(self.root / "ltx")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return Tiny(tmp_path_factory.mktemp("tiny-pipelines"))


# id -> (generator, Tiny attribute, mode, frames); every one 32x32, 2 steps, on the CPU
VARIANTS = {
    "svd": ("svd", "svd", "i2v", 4),
    "cogvideox-t2v": ("cogvideox", "cog", "t2v", 9),
    "cogvideox-i2v": ("cogvideox", "cog_i2v", "i2v", 9),
    "ltx-t2v": ("ltx-video", "ltx", "t2v", 9),
    "ltx-i2v": ("ltx-video", "ltx", "i2v", 9),
}
PIPELINES = {("svd", "i2v"): "StableVideoDiffusionPipeline", ("cogvideox", "t2v"): "CogVideoXPipeline",
             ("cogvideox", "i2v"): "CogVideoXImageToVideoPipeline", ("ltx-video", "t2v"): "LTXPipeline",
             ("ltx-video", "i2v"): "LTXImageToVideoPipeline"}


def setup(tiny, variant, **extra):
    name, attr, mode, frames = VARIANTS[variant]
    gen = create_generator(name)
    given = {"model": str(getattr(tiny, attr)), "mode": mode, "frames": str(frames), "height": "32", "width": "32",
             "steps": "2", "device": "cpu", **{k: str(v) for k, v in extra.items()}}
    return gen, gen.resolve_settings(given)


def case_for(settings, seed=0, cond_seed=0, cid="c1"):
    cond = moving_square(t=1, seed=cond_seed) if settings["mode"] == "i2v" else None
    return Case(cid, prompt="a red ball falls on the table", num_frames=settings["frames"], height=settings["height"],
                width=settings["width"], fps=settings["fps"], seed=seed, cond_frames=cond)


def spy(monkeypatch, generator, mode):
    """Record every call's keyword arguments to the family's real pipeline class."""
    import diffusers

    return record_calls(monkeypatch, getattr(diffusers, PIPELINES[(generator, mode)]))


@pytest.mark.parametrize("variant", VARIANTS)
def test_video_shape_dtype_fps_and_seeds(tiny, variant):
    gen, st = setup(tiny, variant)
    t0 = time.perf_counter()
    a, a2, b = gen.generate([case_for(st, seed=0), case_for(st, seed=0), case_for(st, seed=1)], st)
    per_video = (time.perf_counter() - t0) / 3
    for v in (a, a2, b):
        assert isinstance(v, Video), v
        assert v.frames.dtype == np.uint8 and v.frames.shape == (st["frames"], 32, 32, 3)
        assert v.fps == st["fps"] == gen.family.fps
        assert v.meta["family"] == gen.name and v.meta["mode"] == st["mode"]
    assert np.array_equal(a.frames, a2.frames), "same seed must give the same video"
    assert not np.array_equal(a.frames, b.frames), "another seed must give another video"
    assert per_video < 2.0, f"{variant}: {per_video:.2f} s per tiny video"


def knob_values(gen):
    """A non-default value for every knob, as the CLI would give it (a string)."""
    out = {}
    for k in gen.family.knobs:
        d = k.default
        out[k.name] = (not d if isinstance(d, bool) else d + 1 if isinstance(d, int) else
                       round(d + 0.5, 3) if isinstance(d, float) else 0.1)
    return out


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_knob_guidance_and_pass_through_reach_the_pipeline(tiny, variant, monkeypatch):
    name, _, mode, _ = VARIANTS[variant]
    gen = create_generator(name)
    knobs = knob_values(gen)
    gen, st = setup(tiny, variant, guidance=2.5, fps=12, **{"pipe.num_videos_per_prompt": "1"}, **knobs)
    calls = spy(monkeypatch, name, mode)
    case = case_for(st, seed=3, cond_seed=2)
    (video,) = gen.generate([case], st)
    assert isinstance(video, Video)
    (kw,) = calls
    fam = gen.family
    for knob in fam.knobs:
        assert kw[knob.call_name] == knobs[knob.name], knob.name
    assert kw[fam.guidance_kwarg] == 2.5 and kw["num_videos_per_prompt"] == 1
    assert kw["num_inference_steps"] == 2 and kw["generator"].initial_seed() == 3
    assert (kw["num_frames"], kw["height"], kw["width"]) == (st["frames"], 32, 32)
    if fam.fps_kwarg:
        assert kw[fam.fps_kwarg] == 12  # LTX: the playback fps also conditions the model (frame_rate)
    assert ("prompt" in kw) == (mode in fam.prompt_modes)
    if mode == "i2v":  # the case's first conditioning frame, as is
        assert np.array_equal(np.asarray(kw["image"]), case.cond_frames[0])
    else:
        assert "image" not in kw


def test_i2v_uses_the_conditioning_frame(tiny):
    gen, st = setup(tiny, "svd")
    a, b = gen.generate([case_for(st, cond_seed=0), case_for(st, cond_seed=3)], st)
    assert not np.array_equal(a.frames, b.frames)


def test_i2v_case_without_a_frame_fails_that_item_only(tiny):
    gen, st = setup(tiny, "ltx-i2v")
    ok = case_for(st)
    (err, video) = gen.generate([Case("t", prompt="a ball", num_frames=9, height=32, width=32), ok], st)
    assert isinstance(err, UserError) and "conditioning frame" in str(err) and isinstance(video, Video)


def test_svd_knobs_change_the_video(tiny):
    gen, st = setup(tiny, "svd")
    base = gen.generate([case_for(st)], st)[0].frames
    for key, value in (("motion_bucket_id", 20), ("fps_cond", 3), ("min_guidance", 2.5)):
        other = gen.resolve_settings({**{k: str(v) for k, v in st.items()}, key: str(value)})
        assert not np.array_equal(gen.generate([case_for(other)], other)[0].frames, base), key


@pytest.mark.parametrize("name, given, words", [
    ("cogvideox", {"frames": "10"}, ["frames=10", "8k+1", "try frames=9"]),
    ("cogvideox", {"height": "40"}, ["height=40", "multiple of 16", "try height="]),
    ("ltx-video", {"frames": "12"}, ["frames=12", "8k+1", "try frames=9"]),
    ("ltx-video", {"width": "48"}, ["width=48", "multiple of 32", "try width=64"]),
    ("svd", {"width": "36"}, ["width=36", "multiple of 8", "try width="]),
    ("svd", {"frames": "0"}, ["frames=0", "try frames=1"]),
    ("svd", {"decode_chunk_size": "-1"}, ["decode_chunk_size must be >= 0"]),
])
def test_bad_frames_and_sizes_are_one_line_with_a_suggestion(name, given, words):
    with pytest.raises(UserError) as exc:
        create_generator(name).resolve_settings({"model": "m", **given})
    msg = str(exc.value)
    assert "\n" not in msg and all(w in msg for w in words), msg


@pytest.mark.parametrize("name, key, words", [
    ("svd", "pipe.num_video_per_prompt", ["did you mean pipe.num_videos_per_prompt"]),
    ("ltx-video", "pipe.decode_timestpe", ["did you mean pipe.decode_timestep"]),
    ("svd", "pipe.fps", ["setting 'fps_cond'"]),  # a knob's own argument: use the knob
    ("svd", "pipe.max_guidance_scale", ["setting 'guidance'"]),
    ("ltx-video", "pipe.frame_rate", ["setting 'fps'"]),
    ("cogvideox", "pipe.prompt", ["set by vbench-lite"]),
    ("cogvideox", "stepz", ["did you mean 'steps'"]),
])
def test_pass_through_names_are_checked(name, key, words):
    with pytest.raises(UserError) as exc:
        create_generator(name).resolve_settings({"model": "m", key: "1"})
    assert all(w in str(exc.value) for w in words), str(exc.value)


def test_pass_through_values_are_literals_and_none_knobs_parse():
    st = create_generator("ltx-video").resolve_settings(
        {"model": "m", "pipe.max_sequence_length": "64", "decode_noise_scale": "0.025"})
    assert st["pipe.max_sequence_length"] == 64 and st["decode_noise_scale"] == 0.025
    st = create_generator("ltx-video").resolve_settings({"model": "m", "decode_noise_scale": "none"})
    assert st["decode_noise_scale"] is None


def test_cogvideox_with_learned_positions_makes_only_its_own_size(tmp_path):
    from helpers.tiny_pipelines import tiny_cogvideox_folder

    folder = tiny_cogvideox_folder(tmp_path / "cog-5b-i2v-like", mode="i2v", learned_positions=True)
    gen = create_generator("cogvideox")
    given = {"model": str(folder), "mode": "i2v", "frames": "9", "steps": "2", "device": "cpu"}
    with pytest.raises(UserError, match="learned positional embeddings and makes only 32x32; set height=32 width=32"):
        gen.resolve_settings(dict(given, height="64", width="32"))
    st = gen.resolve_settings(dict(given, height="32", width="32"))
    (video,) = gen.generate([case_for(st)], st)
    assert isinstance(video, Video)


def test_svd_takes_no_prompt_and_no_negative_prompt():
    with pytest.raises(UserError, match="no negative prompt"):
        create_generator("svd").resolve_settings({"model": "m", "negative_prompt": "blurry"})
    gen = create_generator("svd")
    caps = gen.capabilities_for(gen.resolve_settings({"model": "m"}))
    assert (caps.text, caps.cond_frames, caps.resolution, caps.num_frames, caps.fps) == (False, 1, (576, 1024), 25, 7)


def test_native_defaults_come_from_the_pipelines():
    import inspect

    import diffusers

    for name, mode in PIPELINES:
        gen = create_generator(name)
        params = inspect.signature(getattr(diffusers, PIPELINES[(name, mode)]).__call__).parameters
        fam = gen.family
        assert params[fam.guidance_kwarg].default == fam.guidance_default, name
        assert params["num_inference_steps"].default == fam.steps_default, name
        for knob in fam.knobs:
            if knob.name not in ("decode_chunk_size",):  # 0 stands for the pipeline's None (all frames)
                assert params[knob.call_name].default == knob.default, (name, knob.name)
    ltx = inspect.signature(diffusers.LTXPipeline.__call__).parameters
    assert (ltx["height"].default, ltx["width"].default, ltx["num_frames"].default, ltx["frame_rate"].default) \
        == (512, 704, 161, 25)


def test_missing_model_path_and_bad_folder_are_clear(tmp_path):
    gen = create_generator("cogvideox")
    st = gen.resolve_settings({"model": str(tmp_path / "nope")})
    with pytest.raises(UserError, match="model folder .*nope' does not exist; check the path") as err:
        gen.fingerprint(st)  # runners.prepare asks for it before a run is recorded
    assert "huggingface-cli" not in str(err.value)  # a local path is never sent to the Hub
    with pytest.raises(UserError, match="'no-org/no-model' is neither a folder nor in the Hugging Face cache.*"
                                        "huggingface-cli download no-org/no-model"):
        gen.fingerprint(gen.resolve_settings({"model": "no-org/no-model"}))  # a Hub id: download hint
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no model_index.json"):
        gen.fingerprint(gen.resolve_settings({"model": str(tmp_path / "empty")}))


def test_wrong_family_folder_is_a_clear_load_error(tiny):
    gen, st = setup(tiny, "svd")
    st = dict(st, model=str(tiny.ltx))
    with pytest.raises(UserError, match="cannot load Stable Video Diffusion model"):
        gen.generate([case_for(st)], st)


def test_fingerprint_changes_when_the_weights_change(tmp_path):
    from helpers.tiny_pipelines import tiny_ltx_folder

    gen = create_generator("ltx-video")
    st = gen.resolve_settings({"model": str(tiny_ltx_folder(tmp_path / "m", seed=0))})
    first = gen.fingerprint(st)
    assert first.startswith("model-sha256:") and gen.fingerprint(st) == first
    tiny_ltx_folder(tmp_path / "m", seed=1)  # a new checkpoint under the same path
    assert gen.fingerprint(st) != first


def test_offload_and_missing_cuda_are_clear_errors_on_cpu(tiny):
    import torch

    gen, st = setup(tiny, "cogvideox-t2v", offload="model")
    with pytest.raises(UserError, match="offload=model needs a CUDA device"):
        gen.generate([case_for(st)], st)
    if not torch.cuda.is_available():
        gen, st = setup(tiny, "cogvideox-t2v", device="cuda")
        with pytest.raises(UserError, match="sees no CUDA GPU"):
            gen.generate([case_for(st)], st)
    with pytest.raises(UserError, match="offload 'layer'"):
        create_generator("svd").resolve_settings({"model": "m", "offload": "layer"})


def test_pipe_argument_set_from_the_case_names_the_setting():
    gen = create_generator("cogvideox")
    with pytest.raises(UserError, match=r"pipe.num_frames is set by vbench-lite from the case; use the frames "
                                        r"setting \(--set frames=N\)"):
        gen.resolve_settings({"model": "m", "pipe.num_frames": "3"})


@pytest.mark.parametrize("variant", ["cogvideox-t2v", "ltx-t2v"])
def test_vae_tiling_and_slicing_run(tiny, variant):
    gen, st = setup(tiny, variant, vae_tiling=True, vae_slicing=True)
    (video,) = gen.generate([case_for(st)], st)
    assert isinstance(video, Video) and video.frames.shape == (st["frames"], 32, 32, 3)
    vae = gen._pipe.vae
    assert vae.use_tiling and vae.use_slicing


def test_svd_offers_no_vae_tiling_and_refuses_it_before_a_run(tiny, tmp_path, capsys):
    # AutoencoderKLTemporalDecoder has neither: not offered, and refused when settings are resolved
    gen = create_generator("svd")
    assert "vae_tiling" not in gen.settings_help and "vae_slicing" not in gen.settings_help
    for option in ("vae_tiling", "vae_slicing"):
        with pytest.raises(UserError, match=f"svd has no {option} setting.*decode_chunk_size"):
            setup(tiny, "svd", **{option: True})
    store = tmp_path / "r.sqlite"
    from vbench_lite.cli import main
    assert main(["run", "-g", "svd", "--set", f"model={tiny.svd}", "--set", "vae_tiling=true",
                 "--store", str(store), "--no-progress"]) == 2
    assert "svd has no vae_tiling setting" in capsys.readouterr().err and not store.exists()


def test_bf16_runs_on_cpu(tiny):
    gen, st = setup(tiny, "ltx-t2v", dtype="bf16")
    (video,) = gen.generate([case_for(st)], st)
    assert isinstance(video, Video) and gen._pipe.transformer.dtype.is_floating_point
    assert str(gen._pipe.transformer.dtype) == "torch.bfloat16"


@pytest.mark.parametrize("name", ["svd", "cogvideox", "ltx-video", "diffusers"])
def test_every_setting_has_a_meaning(name):
    gen = create_generator(name)
    helps = type(gen).settings_help
    assert set(gen.settings) | {"pipe.KEY"} == set(helps), name
    assert all(isinstance(v, str) and len(v) > 10 for v in helps.values()), name


def test_svd_guidance_says_it_is_ramped_per_frame():
    text = type(create_generator("svd")).settings_help["guidance"]
    assert "linearly per frame" in text and "min_guidance" in text


# ---------------------------------------------------------------- through the runner


def test_svd_run_through_the_runner(tiny, tmp_path):
    from vbench_lite.runners.execute import execute
    from vbench_lite.runners.plan import RunSpec
    from vbench_lite.store import Store

    settings = {"model": str(tiny.svd), "frames": "4", "height": "32", "width": "32", "steps": "2", "device": "cpu"}
    cases = [Case(f"img{i}", suite="adhoc", num_frames=4, height=32, width=32, fps=7.0,
                  cond_frames=moving_square(t=1, seed=i)) for i in range(2)]
    spec = RunSpec("svd", settings=settings, seeds=[0], metrics=["flicker", "motion"], name="svd-tiny")
    with Store(tmp_path / "r.sqlite") as store:
        summary = execute(spec, store, cases=cases, progress=False)
        assert (summary.total, summary.ok, summary.failed) == (2, 2, 0), summary.failure_reasons
        again = execute(spec, store, cases=cases, progress=False)  # resumes: nothing made twice
        assert again.run_id == summary.run_id and again.resumed_items == 2


@pytest.mark.parametrize("name, attr", [("cogvideox", "cog"), ("ltx-video", "ltx")])
def test_cli_run(tiny, tmp_path, name, attr, capsys):
    """``vbench-lite run -g NAME --set model=FOLDER`` in process (a subprocess would spend
    most of its time importing diffusers again): generated, scored, stored, resumable."""
    from vbench_lite.cli import main

    suite = write_prompt_suite(tmp_path / "one.toml", {"ball": "a red ball falls on the table"}, name="one")
    argv = ["run", "-g", name, "-s", str(suite), "--set", f"model={getattr(tiny, attr)}", "--set", "frames=9",
            "--set", "height=32", "--set", "width=32", "--set", "steps=2", "--set", "device=cpu",
            "--metrics", "flicker,motion", "--store", str(tmp_path / "r.sqlite"), "--no-report", "--no-progress",
            "--format", "json"]
    assert main(argv) == 0, capsys.readouterr().err[-2000:]
    first = json.loads(capsys.readouterr().out)
    assert main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    text = json.dumps(first)
    assert "flicker" in text and "motion" in text, text[:1000]
    assert json.dumps(again).count("flicker") == text.count("flicker")
    assert main(argv[:-2] + ["--set", "frames=10"]) == 2  # a bad frame count: one line, exit 2
    assert "8k+1" in capsys.readouterr().err
