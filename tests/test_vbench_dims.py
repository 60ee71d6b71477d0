"""VBench's temporal_flickering, dynamic_degree and motion_smoothness steps, per video,
against VBench's own steps on the same mp4 files.

Two references: ``helpers/vbench_transcript.py`` (VBench 0.1.5's steps restated with
source lines; runs everywhere) and, when the ``vbench`` package imports (the
``vbench-ref`` extra, README), VBench's own functions. Clips are camera pans of
scikit-image photographs written as lossy mp4 and read back by both sides.

Tolerances. temporal_flickering: 1e-6 absolute on VBench's [0, 1] scale -- VBench
averages ~1e5 float32 values in float32 (pairwise sum, relative error ~1e-7 x log n)
where vbench-lite averages uint8 differences in float64; measured 3e-8. dynamic_degree
pair scores: 1e-5 relative -- the flow itself is bit-identical one pair at a time
(metrics/_vbench_raft.py), batched convolutions and VBench's float32 mean of the top
5 % differ in the last float32 bits; the verdict is compared exactly.
"""

import json
import re

import cv2
import numpy as np
import pytest
import torch

from helpers.common import run_cli
from helpers import vbench_transcript as ref
from helpers.synthetic_clips import pan_video
from vbench_lite.generators.degraded import degrade_frames
from vbench_lite.io import read_video
from vbench_lite.metrics import METRICS, VideoContext, load_metrics
from vbench_lite.metrics.base import HIGHER, MetricSkipped
from vbench_lite.metrics.flicker import Flicker
from vbench_lite.metrics.vbench_dims import (
    VBenchDynamicDegree, VBenchTemporalFlickering, dynamic_degree_video, verdict,
)
from vbench_lite.metrics.vbench_smoothness import VBenchMotionSmoothness, smoothness_value
from vbench_lite.video import Video

skdata = pytest.importorskip("skimage.data")

SIZE = (128, 160)  # (H, W): RAFT's 4-level pyramid needs >= 128 px a side
FLICKER_TOL = 1e-6
SCORE_RTOL = 1e-5
DIMS = ("vbench_temporal_flickering", "vbench_dynamic_degree", "vbench_motion_smoothness")


def write_mp4(path, frames, fps=16.0):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (frames.shape[2], frames.shape[1]))
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def pan(photo="astronaut", speed=(2.0, -1.0), n=9, size=SIZE):
    return pan_video(getattr(skdata, photo)(), n, speed, size)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Camera-like mp4s: pans of two photographs, a flickering pan, a frozen frame."""
    d = tmp_path_factory.mktemp("vbench_clips")
    moving = pan("astronaut", (2.0, -1.0))
    return {
        "pan": write_mp4(d / "pan.mp4", moving),
        "slow_coffee": write_mp4(d / "slow_coffee.mp4", pan("coffee", (0.4, 0.3))),
        "flicker": write_mp4(d / "flicker.mp4", degrade_frames(moving, "flicker", 0.3, seed=1)),
        "frozen": write_mp4(d / "frozen.mp4", np.repeat(moving[:1], 9, axis=0)),
    }


def score(metric, path):
    video = read_video(path)
    return metric.compute(video, None, VideoContext(video))[metric.name].value


def test_declarations_and_registration():
    for name in DIMS:
        cls = METRICS.get(name)
        assert [o.name for o in cls.outputs] == [name] and cls.outputs[0].higher_is_better is HIGHER
        assert cls.default is False  # asked for by name


# ---------------------------------------------------------------- temporal_flickering

def test_temporal_flickering_equals_vbench_steps(clips):
    metric = VBenchTemporalFlickering()
    for name, path in clips.items():
        ours, theirs = score(metric, path), ref.temporal_flickering(path)
        assert abs(ours - theirs) < FLICKER_TOL, name
        video = read_video(path)  # and 1 - flicker's frame_difference, as the issue measured
        fd = Flicker().compute(video, None, VideoContext(video))["frame_difference"].value
        assert abs(ours - (1 - fd)) < 1e-12


def flickering(frames):
    video = Video(frames)
    return VBenchTemporalFlickering().compute(video, None, VideoContext(video))["vbench_temporal_flickering"].value


def test_temporal_flickering_moves_the_right_way():
    base = pan("chelsea", (1.0, 0.5), n=12)
    ladder = [base, *(degrade_frames(base, "flicker", s, seed=2) for s in (0.1, 0.3, 0.6))]
    values = [flickering(f) for f in ladder]
    assert all(np.diff(values) < 0), values  # more flicker, lower score
    assert flickering(np.repeat(base[:1], 6, axis=0)) == 1.0  # nothing changes: VBench's maximum


def test_temporal_flickering_equals_the_vbench_package(clips):
    tf = pytest.importorskip("vbench.temporal_flickering")
    metric = VBenchTemporalFlickering()
    for name, path in clips.items():
        assert abs(score(metric, path) - tf.cal_score(str(path))) < FLICKER_TOL, name


# ---------------------------------------------------------------- dynamic_degree

def to_princeton(key: str) -> str:
    """torchvision raft_large key -> princeton-vl RAFT key (RAFT core/extractor.py,
    update.py module names), the inverse written independently of _vbench_raft."""
    k = key.replace("feature_encoder.", "fnet.").replace("context_encoder.", "cnet.")
    k = re.sub(r"^(fnet|cnet)\.convnormrelu\.0\.", r"\1.conv1.", k)
    k = re.sub(r"^(fnet|cnet)\.convnormrelu\.1\.", r"\1.norm1.", k)
    k = re.sub(r"^(fnet|cnet)\.conv\.", r"\1.conv2.", k)
    k = re.sub(r"convnormrelu(\d)\.0\.", r"conv\1.", k)
    k = re.sub(r"convnormrelu(\d)\.1\.", r"norm\1.", k)
    for tv, pr in (("convcorr1.0", "convc1"), ("convcorr2.0", "convc2"), ("convflow1.0", "convf1"),
                   ("convflow2.0", "convf2"), ("conv.0", "conv")):
        k = k.replace(f"update_block.motion_encoder.{tv}.", f"update_block.encoder.{pr}.")
    k = re.sub(r"recurrent_block\.convgru(\d)\.conv([zrq])\.", r"gru.conv\2\1.", k)
    return k.replace("mask_predictor.convrelu.0.", "update_block.mask.0.").replace(
        "mask_predictor.conv.", "update_block.mask.2.")


@pytest.fixture(scope="module")
def raft_things(tmp_path_factory):
    """A randomly initialised RAFT-large (BatchNorm statistics randomised too) saved
    as VBench's raft-things.pth is laid out: princeton-vl names, DataParallel prefix,
    each downsampling block's BatchNorm also under ``norm3``."""
    from torchvision.models.optical_flow import raft_large

    torch.manual_seed(0)
    model = raft_large(weights=None, progress=False)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5), m.running_var.uniform_(0.5, 2.0)
    state = {}
    for k, v in model.state_dict().items():
        state["module." + to_princeton(k)] = v
        if ".downsample.1." in k:
            state["module." + to_princeton(k).replace("downsample.1.", "norm3.")] = v
    path = tmp_path_factory.mktemp("raft") / "raft-things.pth"
    torch.save(state, path)
    return path, model.eval()


def test_raft_things_checkpoint_loads_into_torchvision_raft(raft_things):
    from vbench_lite.metrics._vbench_raft import load_raft_things_file

    path, original = raft_things
    loaded = load_raft_things_file(path).state_dict()
    assert loaded.keys() == original.state_dict().keys()
    assert all(torch.equal(loaded[k], v) for k, v in original.state_dict().items())


@pytest.mark.slow  # RAFT-large, 20 updates, 4 pairs of 128x160 per clip on CPU (~10 s)
def test_dynamic_degree_equals_vbench_steps(clips, raft_things, torch_one_thread):
    path_w, model = raft_things
    metric = VBenchDynamicDegree(raft_path=path_w, device="cpu", batch=3)
    for name in ("pan", "frozen"):
        video = read_video(clips[name])
        dynamic, scores, _, _ = dynamic_degree_video(video.frames, video.fps, model, "cpu", batch=3)
        ref_dynamic, ref_scores = ref.dynamic_degree(clips[name], model)
        assert dynamic == ref_dynamic and len(ref_scores) == 4  # 9 frames at 16 fps: stride 2, 5 kept
        np.testing.assert_allclose(scores, ref_scores[:len(scores)], rtol=SCORE_RTOL)
        assert score(metric, clips[name]) == float(ref_dynamic)


@pytest.mark.slow
def test_dynamic_degree_equals_the_vbench_package(clips, tmp_path, torch_one_thread):
    dd = pytest.importorskip("vbench.dynamic_degree")
    from easydict import EasyDict

    from vbench.third_party.RAFT.core.raft import RAFT

    torch.manual_seed(1)
    theirs = RAFT(EasyDict(small=False, mixed_precision=False, alternate_corr=False))
    torch.save({"module." + k: v for k, v in theirs.state_dict().items()}, tmp_path / "raft-things.pth")
    args = EasyDict(model=str(tmp_path / "raft-things.pth"), small=False, mixed_precision=False,
                    alternate_corr=False)
    vb = dd.DynamicDegree(args, "cpu")
    captured = []
    check_move = vb.check_move
    vb.check_move = lambda s: captured.append(list(s)) or check_move(s)
    metric = VBenchDynamicDegree(raft_path=tmp_path / "raft-things.pth", device="cpu", batch=2)
    from vbench_lite.metrics._vbench_raft import load_raft_things_file
    model = load_raft_things_file(tmp_path / "raft-things.pth")
    for name in ("pan", "frozen"):
        expected = vb.infer(str(clips[name]))
        video = read_video(clips[name])
        dynamic, scores, _, _ = dynamic_degree_video(video.frames, video.fps, model, "cpu", batch=2)
        assert dynamic == expected and score(metric, clips[name]) == float(expected)
        np.testing.assert_allclose(scores, captured[-1][:len(scores)], rtol=SCORE_RTOL)


class TranslationFlow:
    """A flow 'model' with the torchvision RAFT call signature that returns each pair's
    global translation (OpenCV phase correlation) everywhere: a real estimator for the
    pans used here, so the sampling, padding, scoring and count rule are tested on
    motion whose size is known."""

    def __call__(self, a, b, num_flow_updates=None):
        flows = []
        for x, y in zip(a, b):
            gx = cv2.cvtColor(((x.permute(1, 2, 0).numpy() + 1) * 127.5).astype(np.float32), cv2.COLOR_RGB2GRAY)
            gy = cv2.cvtColor(((y.permute(1, 2, 0).numpy() + 1) * 127.5).astype(np.float32), cv2.COLOR_RGB2GRAY)
            (dx, dy), _ = cv2.phaseCorrelate(gx.astype(np.float64), gy.astype(np.float64))
            flows.append(torch.tensor([dx, dy], dtype=torch.float32).view(2, 1, 1).expand(2, *x.shape[1:]))
        return [torch.stack(flows)]


def test_dynamic_degree_moves_the_right_way():
    """Threshold at 128x160: 6 * 128 / 256 = 3 px per kept pair; 16 fps keeps every
    second frame, so content moving 2 px/frame moves 4 px per pair."""
    fast = pan("astronaut", (2.0, 0.5), n=17)
    for frames, expected in ((fast, True), (np.repeat(fast[:1], 17, axis=0), False),
                             (pan("astronaut", (0.5, 0.2), n=17), False),
                             (degrade_frames(fast, "freeze", 0.9, seed=0), False)):
        dynamic, scores, thres, needed = dynamic_degree_video(frames, 16.0, TranslationFlow(), batch=2)
        assert dynamic is expected and thres == 3.0 and needed == round(4 * 9 / 16), scores


class ScriptedFlow:
    """A flow 'model' whose k-th pair has uniform flow of magnitude ``mags[k]`` (px)."""

    def __init__(self, mags):
        self.mags, self.calls = list(mags), 0

    def __call__(self, a, b, num_flow_updates=None):
        out = [torch.full((2, *a.shape[2:]), self.mags[self.calls + i] / np.sqrt(2)) for i in range(len(a))]
        self.calls += len(a)
        return [torch.stack(out)]


def test_count_rule_with_early_stop_equals_vbench_rule():
    """dynamic_degree_video's batched early stop against VBench's loop over all pairs
    (dynamic_degree.py:84-93), on scripted pair scores around the threshold (3 px at 128 px)."""
    rng = np.random.default_rng(0)
    for _ in range(60):
        n = int(rng.integers(2, 14))  # sampled frames (fps 8: stride 1)
        mags = list(rng.choice([0.0, 2.9, 3.1, 9.0], n - 1))
        needed = round(4 * (n / 16.0))
        full, moving = False, 0
        for m in mags:  # VBench's check_move over every pair
            moving += m > 3.0
            if moving >= needed:
                full = True
                break
        for batch in (1, 3, 7):
            model = ScriptedFlow(mags)
            got, scores, thres, need = dynamic_degree_video(np.zeros((n, 128, 128, 3), np.uint8), 8.0, model,
                                                            batch=batch)
            assert (got, thres, need) == (full, 3.0, needed), (mags, batch)
            np.testing.assert_allclose(scores, mags[:len(scores)], rtol=1e-6)
            assert verdict(sum(m > 3.0 for m in mags[:len(scores) - 1]), len(scores) - 1,
                           n - len(scores), needed) is None or len(scores) == 0  # stopped at the first decision


def test_dynamic_degree_small_frames_are_a_skip():
    frames = np.zeros((5, 64, 64, 3), np.uint8)
    with pytest.raises(MetricSkipped, match="too small for RAFT"):
        dynamic_degree_video(frames, 8.0, TranslationFlow())


def test_backbone_dimensions_without_weights_are_skips(tmp_path, monkeypatch):
    monkeypatch.setenv("VBENCH_LITE_HOME", str(tmp_path))
    monkeypatch.delenv("VBENCH_LITE_ALLOW_DOWNLOAD", raising=False)
    _, skipped = load_metrics(["vbench_dynamic_degree", "vbench_motion_smoothness"])
    assert "raft-things.pth not found" in skipped["vbench_dynamic_degree"]
    assert "amt-s.pth not found" in skipped["vbench_motion_smoothness"]


# ---------------------------------------------------------------- motion_smoothness steps

def blend(a, b):
    """Test-only interpolator (the mean of the two kept frames): exercises VBench's
    steps around AMT-S; never reported under VBench's name."""
    return (a + b) / 2


def test_motion_smoothness_steps_equal_vbench_steps(clips):
    for name, path in clips.items():
        ours, _ = smoothness_value(read_video(path).frames, blend)
        assert ours == pytest.approx(ref.motion_smoothness(path, blend), abs=1e-12), name


def test_motion_smoothness_steps_equal_the_vbench_package(clips):
    ms = pytest.importorskip("vbench.motion_smoothness")
    vb = ms.MotionSmoothness.__new__(ms.MotionSmoothness)  # no AMT-S checkpoint: the blend stands in
    vb.device, vb.niters = "cpu", 1
    vb.initialization()
    vb.model = lambda a, b, embt, scale_factor=1.0, eval=True: {"imgt_pred": blend(a, b)}
    for name, path in clips.items():
        ours, _ = smoothness_value(read_video(path).frames, blend)
        assert ours == pytest.approx(vb.motion_score(str(path)), abs=1e-12), name


def test_motion_smoothness_steps_see_jitter():
    """Jitter breaks what any interpolator assumes. (Duplicated frames are not tested:
    with the blend stand-in a repeated frame is *easier* to predict -- measured higher --
    and what AMT-S does with it is not known here without the network.)"""
    base = pan("coffee", (1.0, 0.5), n=13)
    clean, _ = smoothness_value(base, blend)
    worse = [smoothness_value(degrade_frames(base, "jitter", s, seed=3), blend)[0] for s in (0.4, 0.8)]
    assert clean > worse[0] > worse[1], (clean, worse)
    with pytest.raises(MetricSkipped, match="at least 3 frames"):
        smoothness_value(base[:2], blend)


# ---------------------------------------------------------------- command line

def test_eval_json_per_video_offline(clips, tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("pan", "flicker", "frozen"):
        (folder / f"{name}.mp4").write_bytes(clips[name].read_bytes())
    out = run_cli("eval", folder, "--metrics", "vbench_temporal_flickering", "--format", "json",
                  "--store", tmp_path / "s.sqlite", "--no-progress", env={"VBENCH_LITE_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr
    videos = {v["case_id"]: v for v in json.loads(out.stdout)["runs"][0]["videos"]}
    assert set(videos) == {"pan", "flicker", "frozen"}
    for name, v in videos.items():
        got = v["scores"]["vbench_temporal_flickering"]
        assert got["higher_is_better"] is True
        assert abs(got["value"] - ref.temporal_flickering(folder / f"{name}.mp4")) < FLICKER_TOL


# ---------------------------------------------------------------- motion_smoothness with AMT-S

SMOOTH_TOL = 2e-5  # batched AMT-S passes move predictions by ~1e-5 of full scale: a few
# truncated uint8 values change by 1 (VBench truncates, amt utils.py:86-89); measured <= 1e-6


def amt_file(path, zero=False, seed=0):
    """A randomly initialised (or all-zero) AMT-S saved as amt-s.pth is laid out."""
    from vbench_lite.metrics.amt_s import Model

    torch.manual_seed(seed)
    model = Model()
    with torch.no_grad():
        for p in model.parameters():
            p.zero_() if zero else p.add_(torch.randn_like(p) * 0.02)
    torch.save({"state_dict": model.state_dict()}, path)
    return path


@pytest.fixture(scope="module")
def amt_random(tmp_path_factory):
    return amt_file(tmp_path_factory.mktemp("amt") / "amt-s.pth")


def test_motion_smoothness_equals_vbench_steps_with_amt_s(clips, amt_random, torch_one_thread):
    from vbench_lite.metrics.amt_s import load_amt_s_file

    model = load_amt_s_file(amt_random)
    one_pair = lambda a, b: model(a, b, torch.full((1, 1, 1, 1), 0.5))  # noqa: E731  VBench: batch 1
    metric = VBenchMotionSmoothness(weights_path=amt_random, device="cpu", batch=3)
    for name in ("pan", "flicker"):
        assert score(metric, clips[name]) == pytest.approx(ref.motion_smoothness(clips[name], one_pair),
                                                           abs=SMOOTH_TOL), name


def test_zero_amt_s_is_the_blend_and_sees_jitter(tmp_path, torch_one_thread):
    """All-zero AMT-S weights give zero flows, masks of 1/2 and no residual: the
    prediction is the mean of the two frames up to float32 rounding of the warp grid.
    Through the real loading path it must then score like the blend, and lower under
    jitter. Tolerance 1e-3: a blend of two uint8 values lands on an integer for half the
    pixels, where VBench's truncation turns a rounding error of 1e-7 into 1/255 (measured
    6.7e-5); the jitter drop is over 100x that."""
    metric = VBenchMotionSmoothness(weights_path=amt_file(tmp_path / "amt-s.pth", zero=True), device="cpu")
    base = pan("coffee", (1.0, 0.5), n=13)
    ours = [metric.compute(v, None, VideoContext(v))[metric.name].value
            for v in (Video(base), Video(degrade_frames(base, "jitter", 0.8, seed=3)))]
    assert ours[0] == pytest.approx(smoothness_value(base, blend)[0], abs=1e-3)
    assert ours[1] < ours[0] - 5e-3, ours  # measured 0.009 lower


@pytest.mark.slow
def test_motion_smoothness_equals_the_vbench_package_with_amt_s(clips, tmp_path, torch_one_thread):
    ms = pytest.importorskip("vbench.motion_smoothness")
    import os

    import vbench

    from vbench_lite.metrics.amt_s import Model

    cfg = os.path.join(os.path.dirname(vbench.__file__), "third_party", "amt", "cfgs", "AMT-S.yaml")
    path = amt_file(tmp_path / "amt-s.pth", seed=4)
    vb = ms.MotionSmoothness(cfg, str(path), "cpu")  # VBench builds its own AMT-S and loads the file
    assert type(vb.model).__name__ == "Model" and not isinstance(vb.model, Model)
    metric = VBenchMotionSmoothness(weights_path=path, device="cpu", batch=2)
    for name in ("pan", "slow_coffee"):
        assert score(metric, clips[name]) == pytest.approx(vb.motion_score(str(clips[name])), abs=SMOOTH_TOL), name
