"""FVD end to end on a small random I3D saved to disk and loaded by the real loader."""

from dataclasses import dataclass

import numpy as np
import pytest
import torch

from vbench_lite import weights
from vbench_lite.errors import UserError
from vbench_lite.metrics.base import MetricSkipped, VideoContext
from vbench_lite.metrics.fvd import FVD
from vbench_lite.metrics.i3d import InceptionI3d
from vbench_lite.video import Video

pytestmark = pytest.mark.filterwarnings("ignore:.*rank-deficient")
SIZE = 64  # test frame size (the protocol uses 224)


def moving_square(seed: int, t: int = 16, size: int = 32) -> np.ndarray:
    """uint8 (T, H, W, 3): a coloured square moving at a seeded velocity."""
    rng = np.random.default_rng(seed)
    frames = np.full((t, size, size, 3), 30, np.uint8)
    pos, vel, colour = rng.uniform(4, 16, 2), rng.uniform(-1, 1, 2), rng.integers(80, 255, 3)
    for i in range(t):
        y, x = (pos + i * vel).astype(int)
        frames[i, max(y, 0):y + 8, max(x, 0):x + 8] = colour
    return frames


@dataclass
class FakeTruth:
    frames: np.ndarray

    def render(self) -> np.ndarray:
        return self.frames


@dataclass
class FakeCase:
    truth: FakeTruth | None
    prompt: str = ""


@pytest.fixture()
def i3d_home(tmp_path, monkeypatch):
    """A tiny random I3D (piergiaj layout) in $VBENCH_LITE_HOME/weights."""
    monkeypatch.setenv("VBENCH_LITE_HOME", str(tmp_path))
    monkeypatch.delenv("VBENCH_LITE_ALLOW_DOWNLOAD", raising=False)
    weights._reset_memo()
    torch.manual_seed(0)
    path = tmp_path / "weights" / weights.BACKBONES["i3d-k400"].filename
    path.parent.mkdir()
    torch.save(InceptionI3d(num_classes=400, width_div=16).state_dict(), path)
    return path


def test_missing_weights_are_reported_not_scored(tmp_path, monkeypatch):
    monkeypatch.setenv("VBENCH_LITE_HOME", str(tmp_path))
    monkeypatch.delenv("VBENCH_LITE_ALLOW_DOWNLOAD", raising=False)
    weights._reset_memo()
    reason = FVD().unavailable_reason()
    assert "i3d_pretrained_400.pt" in reason and str(tmp_path) in reason
    with pytest.raises(weights.BackboneUnavailable):
        FVD().protocol


def test_features_and_protocol(i3d_home):
    fvd = FVD(frame_size=SIZE)
    assert fvd.unavailable_reason() is None
    video = Video(moving_square(1, t=20))
    f1 = fvd.features(video, None, VideoContext(video))
    f2 = fvd.features(video, None, VideoContext(video))
    assert f1.shape == (400,) and f1.dtype == np.float64
    np.testing.assert_array_equal(f1, f2)  # deterministic (eval mode, no dropout)
    sha8 = weights.file_sha256(i3d_home)[:8]
    assert fvd.protocol == f"i3d-k400/f16/{SIZE}-squash-bilinear/[-1,1]/logits400-tmean/{sha8}"
    assert fvd.describe()["protocol"] == fvd.protocol
    # only the first 16 frames count
    longer = Video(np.concatenate([video.frames[:16], video.frames[::-1]]))
    np.testing.assert_allclose(fvd.features(longer, None, VideoContext(longer)), f1)


@pytest.mark.slow
def test_zero_for_identical_sets_and_grows_with_noise(i3d_home):
    fvd = FVD(frame_size=SIZE)
    clips = [moving_square(s) for s in range(5)]
    cases = [FakeCase(FakeTruth(c)) for c in clips]
    reference = fvd.reference_features(cases)
    assert reference.shape == (5, 400)
    rng = np.random.default_rng(0)

    def generated(noise_std):
        rows = []
        for c in clips:
            noisy = np.clip(c + rng.normal(0, noise_std, c.shape), 0, 255).astype(np.uint8)
            v = Video(noisy)
            rows.append(fvd.features(v, None, VideoContext(v)))
        return np.stack(rows)

    same = fvd.compute_set(generated(0.0), reference)["fvd"].value
    mild = fvd.compute_set(generated(20.0), reference)["fvd"].value
    heavy = fvd.compute_set(generated(80.0), reference)["fvd"].value
    assert same == pytest.approx(0.0, abs=1e-6)
    assert 0 < mild < heavy


def test_reference_folder(i3d_home, tmp_path):
    folder = tmp_path / "real"
    folder.mkdir()
    for s in range(3):
        np.save(folder / f"clip{s}.npy", moving_square(s))
    fvd = FVD(reference_dir=folder, frame_size=SIZE)
    ref = fvd.reference_features([FakeCase(None)])
    truth_ref = FVD(frame_size=SIZE).reference_features([FakeCase(FakeTruth(moving_square(s))) for s in range(3)])
    np.testing.assert_allclose(ref, truth_ref)
    with pytest.raises(UserError, match="not a folder"):
        FVD(reference_dir=tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no readable videos"):
        FVD(reference_dir=tmp_path / "empty", frame_size=SIZE).reference_features([])


def test_skips_and_bad_input(i3d_home):
    fvd = FVD(frame_size=SIZE)
    short = Video(moving_square(0, t=10))
    with pytest.raises(MetricSkipped, match="at least 16 frames"):
        fvd.features(short, None, VideoContext(short))
    assert fvd.reference_features([FakeCase(None)]) is None
    with pytest.raises(MetricSkipped, match="reference set"):
        fvd.compute_set(np.zeros((3, 400)), None)
    with pytest.raises(UserError, match="num_frames must be >= 9"):
        FVD(num_frames=8)


def test_warns_on_small_sets(i3d_home):
    fvd = FVD(frame_size=SIZE)
    rng = np.random.default_rng(0)
    with pytest.warns(UserWarning, match="3 clips for 400 dimensions"):
        fvd.compute_set(rng.normal(size=(3, 400)), rng.normal(size=(500, 400)))


def test_wrong_checkpoint_layout_is_a_user_error(tmp_path, monkeypatch):
    bad = tmp_path / "bad.pt"
    torch.save({"conv.weight": torch.zeros(1)}, bad)
    with pytest.raises(UserError, match="piergiaj-layout"):
        FVD(weights_path=bad).protocol
    assert FVD(weights_path=bad).describe()["protocol"] is None
