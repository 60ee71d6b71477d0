"""video_kd / video_fd: a set-level distance that needs no weights, tested for validity.

* two disjoint samples of one distribution score about 0 (within 2 standard errors),
  on the probe world and on real-photo pans;
* the distance rises monotonically with each degradation -- flicker, jitter, speed
  error, an object that vanishes -- on the probe world (the ``default`` suite at the
  reference DiT's 32x32) and on pans of scikit-image photographs;
* the simulator oracle scores exactly 0 against its own truth.

The estimator's known answers are in ``test_mmd.py``; the DiT-versus-simulator
separation and the comparisons in ``test_set_stats.py``.
"""

from types import SimpleNamespace

import numpy as np
import pytest

from helpers.synthetic_clips import pan_video
from vbench_lite.case import RenderSpec, resolve_suite
from vbench_lite.errors import UserError
from vbench_lite.generators.degraded import degrade_frames
from vbench_lite.metrics import METRICS, load_metrics
from vbench_lite.metrics.base import LOWER, UNDIRECTED, MetricSkipped, VideoContext
from vbench_lite.metrics.frechet import frechet_distance_from_features
from vbench_lite.metrics.video_descriptor import (
    BLOCKS, DIM, block_slices, log_coord, soft_histogram, video_descriptor,
)
from vbench_lite.metrics.video_distance import SIGMAS, VideoFrechetDistance, VideoKernelDistance, case_hash
from vbench_lite.probes.perturb import perturb
from vbench_lite.probes.world import SCENARIOS, make_truth
from vbench_lite.video import Video

skdata = pytest.importorskip("skimage.data")

SIZE = 32  # the reference DiT's frame size: what bare `vbench-lite run` scores
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "hubble_deep_field")
PAN_SIZE, PAN_FRAMES, PAN_N = (64, 96), 12, 12


def increasing(values):
    return bool(np.all(np.diff(values) > 0))


def kd(metric, videos, cases, reference=None):
    """(video_kd, video_kd_se) of ``videos`` (uint8 arrays) for ``cases``, as the runner does it."""
    rows = []
    for frames, case in zip(videos, cases):
        v = Video(np.ascontiguousarray(frames), fps=10.0)
        rows.append(metric.features(v, case, VideoContext(v, case)))
    out = metric.compute_set(np.stack(rows), metric.reference_features(cases) if reference is None else reference)
    return out["video_kd"].value, out["video_kd_se"]


# ---------------------------------------------------------------- declarations
def test_declarations_protocol_and_registry():
    m = VideoKernelDistance()
    outs = {o.name: o for o in m.outputs}
    assert outs["video_kd"].higher_is_better is LOWER and not outs["video_kd"].motion_confounded
    assert all(outs[n].higher_is_better is UNDIRECTED
               for n in ("video_kd_se", "video_kd_n_generated", "video_kd_n_reference"))
    assert m.protocol == ("desc=v2,dim115/flow=dis-refined@384/ref=truth/kernel=rbf(0.2,0.4,0.8)/"
                          "mmd2=u-stat,paired,by-case/se=jackknife-case")
    assert m.identity() == {"version": "1", "protocol": m.protocol}
    spec = m.describe()["set_statistic"]
    assert spec["output"] == "video_kd" and spec["se_output"] == "video_kd_se" and spec["dim"] == DIM
    assert spec["sigmas"] == list(SIGMAS) and spec["row_layout"] == "paired" and spec["protocol"] == m.protocol
    assert VideoFrechetDistance().protocol.endswith("/ref=truth/frechet=eigh,float64,cov/(n-1)")
    metrics, skipped = load_metrics()  # both run by default, with no weights
    assert {"video_kd", "video_fd"} <= {x.name for x in metrics} and "video_kd" not in skipped
    assert METRICS.get("video_kd") is VideoKernelDistance
    with pytest.raises(UserError, match="not a folder"):
        VideoKernelDistance(reference_dir="/nonexistent/videos")


def test_needs_a_reference_and_three_frames():
    m = VideoKernelDistance()
    assert "reference" in m.applies_to(SimpleNamespace(case_id="x", truth=None))
    short = Video(np.zeros((2, 32, 32, 3), np.uint8))
    with pytest.raises(MetricSkipped, match="at least 3 frames"):
        m.descriptor(short, VideoContext(short))
    assert case_hash("parabola-id-000") == case_hash("parabola-id-000") < 2.0 ** 48


# ---------------------------------------------------------------- the descriptor
def test_soft_histogram_and_log_scale_known_values():
    np.testing.assert_allclose(soft_histogram([2.25, 0.0, 9.0], 4), [1.0, 0.0, 0.75, 1.25])
    assert log_coord(0.0, (1e-3, 0.1)) == 0.0 and log_coord(0.1, (1e-3, 0.1)) == pytest.approx(7.0)


def test_descriptor_is_a_unit_vector_with_static_and_smooth_motion_where_expected():
    photo = skdata.astronaut()
    smooth = Video(pan_video(photo, 12, (2.0, 1.0), (64, 96)))
    still = Video(np.repeat(photo[None, :64, :96], 12, axis=0))
    shaky = Video(degrade_frames(smooth.frames, "jitter", 0.5, seed=1))
    d = {name: video_descriptor(v, VideoContext(v)) for name, v in
         (("smooth", smooth), ("still", still), ("shaky", shaky))}
    sl = block_slices()
    for x in d.values():
        assert x.shape == (DIM,) and np.linalg.norm(x) == pytest.approx(1.0)
    # deterministic up to OpenCV's threaded float sums in DIS (measured <= 4e-12)
    np.testing.assert_allclose(d["smooth"], video_descriptor(smooth, VideoContext(smooth)), rtol=0, atol=1e-9)
    w = 1.0 / len(BLOCKS)  # each block carries sqrt(w * h)
    speed = d["still"][sl["speed_early"]] ** 2 / w
    assert speed[0] > 0.95  # a still photo: no motion beyond DIS noise
    assert (d["still"][sl["direction"]] ** 2 / w)[-1] > 0.95  # the "still" bin
    acc = {k: (d[k][sl["acceleration"]] ** 2 / w) for k in ("smooth", "shaky")}
    # of the tracked pixels (the last bin counts untracked ones: the pan's entering border),
    # the share under ~0.01 diagonal/frame^2: measured 0.99 for the pan, 0 for the shake
    low = {k: a[:3].sum() / a[:-1].sum() for k, a in acc.items()}
    assert low["smooth"] > 0.95 and low["shaky"] < 0.1, low


# ---------------------------------------------------------------- probe world
@pytest.fixture(scope="module")
def probe_cases():
    spec = RenderSpec(height=SIZE, width=SIZE, num_frames=32, fps=10, cond_frames=4)
    return resolve_suite("default").cases(spec)


@pytest.fixture(scope="module")
def kd_metric():
    return VideoKernelDistance()  # shared: its truth descriptors are memoised per case


def test_oracle_scores_exactly_zero(probe_cases):
    """The oracle's video is its truth: one descriptor serves both, every h_ij is 0."""
    value, se = kd(VideoKernelDistance(), [c.truth.render() for c in probe_cases], probe_cases)
    # the standard error's leave-one-out values are sums of kernels from x @ y.T on equal rows,
    # which BLAS rounds differently from x @ x.T: ~1e-16, not 0, for some descriptors
    assert value == 0.0 and se < 1e-12


LADDERS = {  # degradation -> strengths, 0 first (the oracle)
    "flicker": (0.0, 0.03, 0.1, 0.3),
    "jitter": (0.0, 0.03, 0.1, 0.3),
    "speed": (0.0, 0.1, 0.25, 0.5),
    "vanish": (0.0, 0.1, 0.3, 0.6),
}


def probe_videos(cases, kind, strength):
    if kind in ("speed", "vanish"):  # physical errors of the simulator (perturb=speed / vanish)
        return [perturb(c.truth, kind, strength).render() for c in cases]
    return [degrade_frames(c.truth.render(), kind, strength, seed=i) for i, c in enumerate(cases)]


@pytest.mark.slow  # ~2 s each: 48 probe videos and their flows
@pytest.mark.parametrize("kind", sorted(LADDERS))
def test_rises_monotonically_on_the_probe_world(probe_cases, kd_metric, kind):
    """Measured (32x32, 16 cases; value / SE): flicker 0.035/0.012, 0.33/0.033,
    0.48/0.038; jitter 0.11/0.045, 0.20/0.060, 0.29/0.063; speed 0.0002/0.0001,
    0.0016/0.0007, 0.0078/0.0038; vanish 0.002/0.001, 0.019/0.009, 0.12/0.043. Jitter
    saturates above 0.3 at this size (a 1.2 px shake is 4 % of a 32 px frame and
    outruns the flow on flat backgrounds)."""
    ladder = [kd(kd_metric, probe_videos(probe_cases, kind, s), probe_cases) for s in LADDERS[kind]]
    values = [v for v, _ in ladder]
    assert abs(values[0]) < 1e-12 and increasing(values), ladder  # 0 up to DIS's float noise
    top, top_se = ladder[-1]
    assert top > 2 * top_se, ladder  # the strongest step stands out of its own noise


def test_disjoint_samples_of_the_probe_world_score_about_zero(tmp_path):
    """Two sets of 24 different worlds drawn from the same ID distribution (scenario
    drawn at random per world: a stratified draw would make both sets more alike than
    independent samples and bias the estimate low). The reference is a folder of arrays.
    Measured -0.008 with SE 0.013."""
    def worlds(seed):
        rng = np.random.default_rng(seed)
        return [make_truth(SCENARIOS[rng.integers(len(SCENARIOS))], "id", seed + i, SIZE, SIZE).render()
                for i in range(24)]
    for i, frames in enumerate(worlds(500)):
        np.save(tmp_path / f"ref{i:02d}.npy", frames)
    m = VideoKernelDistance(reference_dir=tmp_path)
    assert m.protocol.split("/")[2].startswith("ref=dir:") and m.describe()["set_statistic"]["row_layout"] == "fixed"
    gen = worlds(900)
    cases = [SimpleNamespace(case_id=f"w{i}", truth=None) for i in range(len(gen))]
    value, se = kd(m, gen, cases)
    assert np.isfinite(se) and se > 0
    assert abs(value) < 2 * se, (value, se)
    rows = np.stack([m.features(Video(f), c, VideoContext(Video(f))) for f, c in zip(gen[:2], cases)])
    assert rows.shape == (2, 1 + DIM + 2)  # [case, descriptor, m_i, u_rr]


# ---------------------------------------------------------------- real-photo pans
def _pan_params(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        img = getattr(skdata, PHOTOS[i % len(PHOTOS)])()
        y, x = rng.integers(0, img.shape[0] - 160), rng.integers(0, img.shape[1] - 200)
        angle, speed = rng.uniform(0, 2 * np.pi), rng.uniform(1, 3)
        sprite = getattr(skdata, PHOTOS[(i + 1) % len(PHOTOS)])()[100:116, 100:116]  # (16, 16, 3)
        out.append({"image": img[y:y + 160, x:x + 200], "velocity": (speed * np.cos(angle), speed * np.sin(angle)),
                    "sprite": sprite, "sprite_velocity": (rng.uniform(-2, 2), rng.uniform(1.5, 3)),
                    "seed": int(rng.integers(1 << 30))})
    return out


def pan_clip(p, speed_scale=1.0, vanish=0.0):
    """A photo pan with a small photo sprite moving over it; the sprite is gone for the
    last ``vanish`` fraction of the frames."""
    vx, vy = p["velocity"]
    frames = pan_video(p["image"], PAN_FRAMES, (vx * speed_scale, vy * speed_scale), PAN_SIZE).copy()
    gone = PAN_FRAMES - int(round(vanish * (PAN_FRAMES - 1))) if vanish > 0 else PAN_FRAMES
    sx, sy = p["sprite_velocity"]
    for t in range(gone):
        y, x = int(8 + sy * t) % (PAN_SIZE[0] - 16), int(40 + sx * t) % (PAN_SIZE[1] - 16)
        frames[t, y:y + 16, x:x + 16] = p["sprite"]
    return frames


PAN_LADDERS = {
    "flicker": (0.02, 0.1, 0.3),
    "jitter": (0.05, 0.3, 0.6),
    "speed": (0.1, 0.5, 1.0),
    "vanish": (0.2, 0.6, 1.0),
}


def pan_videos(params, kind, strength):
    if kind == "speed":
        return [pan_clip(p, 1 + strength) for p in params]
    if kind == "vanish":
        return [pan_clip(p, vanish=strength) for p in params]
    return [degrade_frames(pan_clip(p), kind, strength, seed=p["seed"]) for p in params]


@pytest.fixture(scope="module")
def pans():
    """The clean pans as a paired reference: each generated pan carries its clean self."""
    params = _pan_params(PAN_N, 1)
    clean = [pan_clip(p) for p in params]
    cases = [SimpleNamespace(case_id=f"pan{i}", suite="pans", num_frames=PAN_FRAMES, height=PAN_SIZE[0],
                             width=PAN_SIZE[1], fps=10.0, truth=SimpleNamespace(render=lambda f=f: f))
             for i, f in enumerate(clean)]
    return params, cases, VideoKernelDistance()


@pytest.mark.slow  # ~2 s each: 36 pans and their flows
@pytest.mark.parametrize("kind", sorted(PAN_LADDERS))
def test_rises_monotonically_on_real_photo_pans(pans, kind):
    """Measured (12 pans of 6 photographs at 1-3 px/frame; value / SE): flicker
    0.017/0.007, 0.073/0.018, 0.13/0.023; jitter 0.041/0.012, 0.18/0.019, 0.26/0.024;
    speed 0.0033/0.0014, 0.047/0.017, 0.10/0.034; vanish 0.0003/0.0001, 0.0072/0.0026,
    0.022/0.007 (and in between, at flicker 0.05, jitter 0.1, speed 0.25, vanish 0.4:
    0.041, 0.079, 0.017, 0.0015)."""
    params, cases, m = pans
    ladder = [kd(m, pan_videos(params, kind, s), cases) for s in PAN_LADDERS[kind]]
    assert increasing([0.0] + [v for v, _ in ladder]), ladder
    assert all(v > 2 * se for v, se in ladder), ladder


def test_disjoint_samples_of_pans_score_about_zero(pans):
    """Other photos' crops, other velocities: same distribution, independent draws
    (measured -0.026 with SE 0.018)."""
    from vbench_lite import mmd

    params, _, m = pans
    a = np.stack([m.descriptor(Video(pan_clip(p)), None) for p in params])
    b = np.stack([m.descriptor(Video(pan_clip(p)), None) for p in _pan_params(PAN_N, 2)])
    blocks = mmd.CaseBlocks.unpaired(b, a, np.arange(PAN_N), SIGMAS)
    assert abs(blocks.value()) < 2 * blocks.jackknife_se(), (blocks.value(), blocks.jackknife_se())


# ---------------------------------------------------------------- video_fd
def test_frechet_only_for_large_sets():
    fd = VideoFrechetDistance()
    rng = np.random.default_rng(0)
    small = rng.random((16, 2 * DIM))
    with pytest.raises(MetricSkipped, match="more videos than the descriptor's 115 dimensions"):
        fd.compute_set(small, fd.reference_features([]))
    gen, ref = rng.random((130, DIM)), rng.random((125, DIM)) + 0.1
    rows = np.concatenate([gen, np.concatenate([ref, ref[:5]])], axis=1)  # five truths used twice
    out = fd.compute_set(rows, fd.reference_features([]))
    assert out["video_fd_n_reference"] == 125.0
    assert out["video_fd"].value == pytest.approx(frechet_distance_from_features(gen, ref), rel=1e-9)
