"""FVD end to end on a small random I3D saved to disk and loaded by the real loader."""

import numpy as np
import pytest
import torch

from helpers.backbones import FakeCase, FakeTruth
from helpers.common import seeded_square
from vbench_lite import weights
from vbench_lite.errors import UserError
from vbench_lite.metrics.base import MetricSkipped, VideoContext
from vbench_lite.metrics.fvd import FVD
from vbench_lite.metrics.i3d import InceptionI3d
from vbench_lite.video import Video

pytestmark = pytest.mark.filterwarnings("ignore:.*rank-deficient")
SIZE = 64  # test frame size (the protocol uses 224)


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
    video = Video(seeded_square(1, t=20))
    f1 = fvd.features(video, None, VideoContext(video))
    f2 = fvd.features(video, None, VideoContext(video))
    assert f1.shape == (400,) and f1.dtype == np.float64
    np.testing.assert_array_equal(f1, f2)  # deterministic (eval mode, no dropout)
    sha = weights.file_sha256(i3d_home)
    assert fvd.protocol == (f"i3d-k400@{sha[:8]}/clip=first16,stride1/resize=squash{SIZE},bilinear,antialias/"
                            "range=[-1,1]/feature=logits400,tmean,fp32/ref=truth/frechet=eigh,float64,cov/(n-1)")
    assert fvd.describe()["protocol"] == fvd.protocol
    assert fvd.identity() == {"version": FVD.version, "protocol": fvd.protocol, "backbone_sha256": sha}
    # only the first 16 frames count
    longer = Video(np.concatenate([video.frames[:16], video.frames[::-1]]))
    np.testing.assert_allclose(fvd.features(longer, None, VideoContext(longer)), f1)


def test_frame_stride_samples_every_kth_frame(i3d_home):
    frames = seeded_square(2, t=40)
    strided = FVD(frame_size=SIZE, frame_stride="2")  # CLI options arrive as strings
    assert strided.clip_length == 31 and "clip=first16,stride2" in strided.protocol
    video = Video(frames)
    expected = FVD(frame_size=SIZE).clip_features(frames[::2])  # frames 0, 2, ..., 30
    np.testing.assert_allclose(strided.features(video, None, VideoContext(video)), expected)
    short = Video(frames[:30])
    with pytest.raises(MetricSkipped, match="stride 2.*at least 31 frames"):
        strided.features(short, None, VideoContext(short))
    assert strided.reference_features([FakeCase(FakeTruth(frames[:30]))]) is None  # too short for a clip
    with pytest.raises(UserError, match="frame_stride must be an integer"):
        FVD(frame_stride="two")


def test_everything_that_changes_the_value_changes_the_protocol(i3d_home, tmp_path):
    """Each knob gives another protocol string and another identity (so another run id)."""
    folder = tmp_path / "real"
    folder.mkdir()
    for s in range(2):
        np.save(folder / f"clip{s}.npy", seeded_square(s))
    variants = [FVD(frame_size=SIZE), FVD(frame_size=SIZE, num_frames=12), FVD(frame_size=SIZE, frame_stride=2),
                FVD(frame_size=2 * SIZE), FVD(frame_size=SIZE, reference_dir=folder)]
    protocols = [m.protocol for m in variants]
    assert len(set(protocols)) == len(protocols)
    assert len({str(m.identity()) for m in variants}) == len(variants)
    assert "/ref=dir:" in protocols[-1]
    # another weights file (same architecture, other values): another digest prefix
    torch.manual_seed(1)
    other = tmp_path / "other_i3d.pt"
    torch.save(InceptionI3d(num_classes=400, width_div=16).state_dict(), other)
    retrained = FVD(frame_size=SIZE, weights_path=other)
    assert retrained.protocol.split("/")[1:] == protocols[0].split("/")[1:]
    assert retrained.protocol.split("/")[0] != protocols[0].split("/")[0]
    assert retrained.identity()["backbone_sha256"] == weights.file_sha256(other)


def test_reference_folder_fingerprint_follows_content_not_names(i3d_home, tmp_path):
    def ref_id(folder):
        return FVD(frame_size=SIZE, reference_dir=folder).reference_id()

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for s in range(3):
        np.save(a / f"clip{s}.npy", seeded_square(s))
        np.save(b / f"renamed_{2 - s}.npy", seeded_square(s))
    frames_dir = a / "clip9"  # a folder of frames counts as one video
    frames_dir.mkdir()
    import cv2

    for i, f in enumerate(seeded_square(9)):
        cv2.imwrite(str(frames_dir / f"{i:03d}.png"), f[..., ::-1])
    (b / "clip9").mkdir()
    for f in sorted(frames_dir.iterdir()):
        (b / "clip9" / f.name).write_bytes(f.read_bytes())
    assert ref_id(a) == ref_id(b) and ref_id(a).startswith("dir:") and len(ref_id(a)) == 4 + 12
    np.save(b / "renamed_0.npy", seeded_square(7))  # one video's content changes
    assert ref_id(a) != ref_id(b)


@pytest.mark.slow
def test_zero_for_identical_sets_and_grows_with_noise(i3d_home):
    fvd = FVD(frame_size=SIZE)
    clips = [seeded_square(s) for s in range(5)]
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

    result = fvd.compute_set(generated(0.0), reference)
    assert set(result) == {o.name for o in FVD.outputs}  # every output is declared
    assert result["fvd_n_generated"] == 5 and result["fvd_n_reference"] == 5  # n is stored with the value
    same = result["fvd"].value
    mild = fvd.compute_set(generated(20.0), reference)["fvd"].value
    heavy = fvd.compute_set(generated(80.0), reference)["fvd"].value
    assert same == pytest.approx(0.0, abs=1e-6)
    assert 0 < mild < heavy


def test_reference_folder(i3d_home, tmp_path):
    folder = tmp_path / "real"
    folder.mkdir()
    for s in range(3):
        np.save(folder / f"clip{s}.npy", seeded_square(s))
    fvd = FVD(reference_dir=folder, frame_size=SIZE)
    ref = fvd.reference_features([FakeCase(None)])
    truth_ref = FVD(frame_size=SIZE).reference_features([FakeCase(FakeTruth(seeded_square(s))) for s in range(3)])
    np.testing.assert_allclose(ref, truth_ref)
    with pytest.raises(UserError, match="not a folder"):
        FVD(reference_dir=tmp_path / "missing")
    (tmp_path / "empty").mkdir()  # refused when the option is given, by the rule video_kd uses too
    with pytest.raises(UserError, match="fvd.reference_dir: .*empty holds no video"):
        FVD(reference_dir=tmp_path / "empty", frame_size=SIZE)


def test_skips_and_bad_input(i3d_home):
    fvd = FVD(frame_size=SIZE)
    short = Video(seeded_square(0, t=10))
    with pytest.raises(MetricSkipped, match="at least 16 frames"):
        fvd.features(short, None, VideoContext(short))
    assert fvd.reference_features([FakeCase(None)]) is None
    with pytest.raises(MetricSkipped, match="reference set"):
        fvd.compute_set(np.zeros((3, 400)), None)
    with pytest.raises(UserError, match="num_frames must be >= 9"):
        FVD(num_frames=8)
    with pytest.raises(UserError, match="num_frames must be an integer"):
        FVD(num_frames="sixteen")


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
    assert FVD(weights_path=bad).identity()["protocol"] is None  # identity never raises: the run goes on
