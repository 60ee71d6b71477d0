"""The Wan, HunyuanVideo and Mochi adapters on tiny randomly initialised REAL diffusers
pipelines (``helpers/tiny_pipelines_b.py``), loaded through the adapters' own
``from_pretrained`` path (``--set model=<folder>``). Skipped without diffusers, a failure
under ``CI=true``. Each generation is a 32x32 clip of 5-7 frames in 2 steps (~0.1 s).
"""

import io
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest

from helpers.diffusers_testing import record_calls, require_diffusers

require_diffusers(module_level=True)

from helpers.common import moving_square, write_prompt_suite  # noqa: E402
from helpers.tiny_pipelines_b import (HUNYUAN_I2V_TEMPLATE, tiny_hunyuan_folder, tiny_hunyuan_i2v_folder,  # noqa: E402
                                      tiny_mochi_folder, tiny_wan_folder)
from vbench_lite.case import Case  # noqa: E402
from vbench_lite.errors import UserError  # noqa: E402
from vbench_lite.generators import create_generator  # noqa: E402
from vbench_lite.video import Video  # noqa: E402

SIZE = 32
FRAMES = {"wan": 5, "hunyuanvideo": 5, "mochi": 7}  # 4k+1, 4k+1, 6k+1


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny_pipes_b")
    out = {f"wan-{k}": tiny_wan_folder(root / f"wan-{k}", k) for k in ("t2v", "t2v-a14b", "i2v", "ti2v-5b")}
    out["hunyuanvideo"] = tiny_hunyuan_folder(root / "hunyuan")
    for cond in ("latent_concat", "token_replace"):
        out[f"hunyuan-i2v-{cond}"] = tiny_hunyuan_i2v_folder(root / f"hunyuan-i2v-{cond}", cond)
    out["mochi"] = tiny_mochi_folder(root / "mochi")
    return out


@pytest.fixture(autouse=True)
def _one_thread(torch_one_thread):
    """Tiny models: threads only add overhead (and contend on a busy 2-core machine)."""
    yield


@pytest.fixture
def calls(monkeypatch):
    """``spy(generator, mode)`` records the keyword arguments the real pipeline class's
    ``__call__`` receives; they land in the returned list."""
    seen = []

    def spy(gen, mode="t2v"):
        return record_calls(monkeypatch, gen.pipeline_class(mode), seen)

    return spy


def settings_for(name, folder, **extra):
    base = {"model": str(folder), "height": str(SIZE), "width": str(SIZE), "frames": str(FRAMES[name]),
            "steps": "2"}
    return {**base, **{k: str(v) if not isinstance(v, dict) else v for k, v in extra.items()}}


def case(name, seed=0, cond=None, prompt="a red ball falls behind the wall"):
    return Case("c", prompt=prompt, num_frames=FRAMES[name], height=SIZE, width=SIZE, fps=7.0, seed=seed,
                cond_frames=cond)


def generate(name, folder, cases, spy=None, mode="t2v", **extra):
    gen = create_generator(name)
    st = gen.resolve_settings(settings_for(name, folder, mode=mode, **extra))
    seen = spy(gen, mode) if spy else None
    out = gen.generate(cases, st)
    return out, seen


FAMILY_FOLDERS = [("wan", "wan-t2v"), ("hunyuanvideo", "hunyuanvideo"), ("mochi", "mochi")]


@pytest.mark.parametrize("name,key", FAMILY_FOLDERS)
def test_t2v_end_to_end_knobs_seed_and_output(name, key, folders, calls):
    """Common knobs and a ``pipe.KEY`` reach ``__call__``; seeds are exact; the output is a
    uint8 (T, H, W, 3) Video at the case's fps."""
    (a, b, c), seen = generate(name, folders[key], [case(name), case(name), case(name, seed=1)], calls,
                               guidance="3.5", **{"pipe.max_sequence_length": "8"})
    for v in (a, b, c):
        assert isinstance(v, Video) and v.frames.dtype == np.uint8
        assert v.frames.shape == (FRAMES[name], SIZE, SIZE, 3) and v.fps == 7.0
    assert np.array_equal(a.frames, b.frames), "same seed must give the same video"
    assert not np.array_equal(a.frames, c.frames), "another seed must give another video"
    kw = seen[0]
    assert (kw["num_frames"], kw["height"], kw["width"], kw["num_inference_steps"]) == (FRAMES[name], SIZE, SIZE, 2)
    assert kw["guidance_scale"] == 3.5 and kw["max_sequence_length"] == 8
    assert kw["prompt"] == "a red ball falls behind the wall" and kw["generator"].initial_seed() == 0


@pytest.mark.parametrize("name,key,bad,fix", [
    ("wan", "wan-t2v", {"frames": "6"}, "4k+1 frames; try frames=5"),
    ("hunyuanvideo", "hunyuanvideo", {"frames": "130"}, "4k+1 frames; try frames=129"),
    ("mochi", "mochi", {"frames": "8"}, "6k+1 frames; try frames=7"),
    ("mochi", "mochi", {"height": "44"}, "multiple of 16; try height=48"),
    ("wan", "wan-t2v", {"width": "20"}, "multiple of 16; try width=16"),
    ("wan", "wan-ti2v-5b", {"height": "48", "mode": "i2v"}, "multiple of 32 (VAE x patch size); try height=64"),
    ("wan", "wan-t2v", {"guidance_2": "3"}, "has one expert"),
    ("wan", "wan-t2v-a14b", {"guidance_2": "-1"}, "give a number >= 0, or none"),
    ("wan", "wan-t2v-a14b", {"pipe.guidance_scale_2": "2"}, "use --set guidance_2=..."),
    ("hunyuanvideo", "hunyuanvideo", {"pipe.true_cfg": "2"}, "did you mean pipe.true_cfg_scale?"),
])
def test_bad_settings_are_one_line_with_a_fix(name, key, bad, fix, folders):
    gen = create_generator(name)
    with pytest.raises(UserError) as err:
        gen.resolve_settings({**settings_for(name, folders[key]), **bad})
    assert fix in str(err.value) and "\n" not in str(err.value)


def test_every_setting_has_a_meaning():
    for name in FRAMES:
        cls = type(create_generator(name))
        assert set(cls.settings) <= set(cls.settings_help)
        assert all(len(cls.settings_help[k]) > 15 for k in cls.settings), name
    assert "low-noise expert" in create_generator("wan").settings_help["guidance"]
    assert "distilled" in create_generator("hunyuanvideo").settings_help["guidance"]
    assert "negative pass" in create_generator("hunyuanvideo").settings_help["true_cfg"]


def test_wan_two_experts_guidance_2(folders, calls):
    """Wan 2.2 A14B: guidance_2 reaches guidance_scale_2 (the low-noise expert) and changes the
    video; none (the default) and 0 mean "same as guidance" (bit-identical to giving its value)."""
    folder, c = folders["wan-t2v-a14b"], case("wan")
    (same,), seen = generate("wan", folder, [c], calls, guidance="5")
    assert seen[-1]["guidance_scale_2"] is None  # the pipeline's "same as guidance_scale"
    (zero,), _ = generate("wan", folder, [c], guidance="5", guidance_2="0")
    (explicit,), _ = generate("wan", folder, [c], guidance="5", guidance_2="5")
    (other,), _ = generate("wan", folder, [c], calls, guidance="5", guidance_2="1.5")
    assert seen[-1]["guidance_scale_2"] == 1.5
    assert np.array_equal(same.frames, explicit.frames) and np.array_equal(same.frames, zero.frames)
    assert not np.array_equal(same.frames, other.frames)


@pytest.mark.parametrize("key", ["wan-i2v", "wan-ti2v-5b"])
def test_wan_i2v_uses_the_cases_first_frame(key, folders, calls):
    """Wan 2.1 i2v (CLIP image encoder) and Wan 2.2 TI2V-5B (one WanPipeline folder, expand_timesteps,
    no image encoder) loaded as WanImageToVideoPipeline."""
    first, other = moving_square(t=2, size=SIZE), moving_square(t=1, size=SIZE, seed=3)
    (a, b, missing), seen = generate("wan", folders[key], [case("wan", cond=first), case("wan", cond=other),
                                                           case("wan")], calls, mode="i2v")
    assert np.array_equal(np.asarray(seen[0]["image"]), first[0])
    assert a.frames.shape == (5, SIZE, SIZE, 3) and not np.array_equal(a.frames, b.frames)
    assert isinstance(missing, UserError) and "conditioning frame" in str(missing)


def test_hunyuan_distilled_guidance_true_cfg_and_prompt_template(folders, calls):
    """guidance is the embedded (distilled) scale; true_cfg > 1 turns on real CFG with an empty
    negative prompt when none is set; a custom prompt_template passes through."""
    folder, c = folders["hunyuanvideo"], case("hunyuanvideo")
    (base,), seen = generate("hunyuanvideo", folder, [c], calls)
    assert seen[-1]["guidance_scale"] == 6.0 and seen[-1]["true_cfg_scale"] == 1.0
    assert "negative_prompt" not in seen[-1]
    (low,), _ = generate("hunyuanvideo", folder, [c], guidance="1")
    (cfg,), _ = generate("hunyuanvideo", folder, [c], calls, true_cfg="4")
    assert seen[-1]["true_cfg_scale"] == 4.0 and seen[-1]["negative_prompt"] == ""
    template = {"template": "the video: {}", "crop_start": 2}
    (tmpl,), _ = generate("hunyuanvideo", folder, [c], calls, **{"pipe.prompt_template": template})
    assert seen[-1]["prompt_template"] == template
    for v in (low, cfg, tmpl):
        assert not np.array_equal(base.frames, v.frames)
    with pytest.raises(UserError, match="true_cfg must be >= 1"):
        create_generator("hunyuanvideo").resolve_settings(settings_for("hunyuanvideo", folder, true_cfg="0.5"))


@pytest.mark.parametrize("cond,asked", [("latent_concat", 9), ("token_replace", 5)])
def test_hunyuan_i2v_first_frame_and_frame_count(cond, asked, folders, calls):
    """HunyuanVideoImageToVideoPipeline (tiny LLaVA text encoder): the case's first frame is
    the image; with latent_concat (I2V-33ch), which drops 4 decoded frames, the adapter asks
    for 4 more so the clip still has the case's 5 frames."""
    first, other = moving_square(t=1, size=SIZE), moving_square(t=1, size=SIZE, seed=3)
    (a, b), seen = generate("hunyuanvideo", folders[f"hunyuan-i2v-{cond}"],
                            [case("hunyuanvideo", cond=first), case("hunyuanvideo", cond=other)], calls, mode="i2v",
                            **{"pipe.prompt_template": HUNYUAN_I2V_TEMPLATE})
    assert np.array_equal(np.asarray(seen[0]["image"]), first[0]) and seen[0]["num_frames"] == asked
    assert a.frames.shape == b.frames.shape == (5, SIZE, SIZE, 3) and not np.array_equal(a.frames, b.frames)


def test_mochi_through_the_runner_and_store(folders, tmp_path):
    """``vbench-lite run -g mochi`` on a prompt suite: every item stored and scored, the cached
    video has the family's frame count, size and 30 fps."""
    from vbench_lite.cli import main
    from vbench_lite.io import read_video
    from vbench_lite.store import Store

    suite = write_prompt_suite(tmp_path / "suite.toml", {"ball": "a red ball falls", "cat": "a cat walks slowly"})
    store_path = tmp_path / "results.sqlite"
    argv = ["run", "-g", "mochi", "--suite", str(suite), "--store", str(store_path), "--metrics", "flicker",
            "--no-progress", "--no-report", "--no-floor"]
    for k, v in settings_for("mochi", folders["mochi"]).items():
        argv += ["--set", f"{k}={v}"]
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    assert code == 0, err.getvalue()
    with Store(store_path) as store:
        (run,) = store.runs()
        items = store.items(run["run_id"])
        scores = store.scores(run["run_id"])
    assert [i["case_id"] for i in items] == ["ball", "cat"] and all(i["status"] == "ok" for i in items)
    assert {s["case_id"] for s in scores} == {"ball", "cat"}
    video = read_video(items[0]["video_path"])
    assert video.frames.shape == (7, SIZE, SIZE, 3) and video.fps == 30.0
