"""Identity drift: the shared d(t) definition, and the weight-free default backbone
(monotone in colour/texture drift, low under camera translation, zero when static)."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from vbench_lite.errors import UserError
from vbench_lite.generators.degraded import degrade_frames
from vbench_lite.metrics import VideoContext
from helpers.synthetic_clips import pan_video
from vbench_lite.metrics.identity import IdentityDrift, appearance_features, drift_curve, drift_summary
from vbench_lite.video import Video

skdata = pytest.importorskip("skimage.data")
LEVELS = [0.0, 0.1, 0.2, 0.4, 0.7, 1.0]


def score(frames):
    video = Video(frames)
    return IdentityDrift().compute(video, None, VideoContext(video))


def test_drift_curve_definition():
    f = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0], [-1.0, 0.0]])
    np.testing.assert_allclose(drift_curve(f), [0.0, 0.0, 1.0, 2.0])  # scale-free cosine distance
    s = drift_summary(np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]))
    assert s["slope"] == pytest.approx(0.1) and s["final"] == pytest.approx(0.9)
    assert drift_summary(np.array([0.0]))["slope"] == 0.0


def test_drift_curve_rejects_bad_features():
    with pytest.raises(UserError, match=r"shape \(T, D\)"):
        drift_curve(np.zeros(5))
    with pytest.raises(UserError, match="all zeros"):
        drift_curve(np.zeros((3, 4)))
    with pytest.raises(UserError, match="NaN"):
        drift_curve(np.array([[1.0, np.nan]]))


def test_features_are_unit_vectors():
    feats = appearance_features(pan_video(skdata.coffee(), 3, (1, 0), (64, 96)))
    np.testing.assert_allclose(np.linalg.norm(feats, axis=1), 1.0, rtol=1e-9)


@pytest.mark.parametrize("kind", ["color_drift", "texture_drift"])
@pytest.mark.parametrize("image", ["astronaut", "coffee"])
def test_monotone_in_drift_strength(kind, image):
    still = np.repeat(getattr(skdata, image)()[None, 100:228, 100:292], 12, axis=0)
    outs = [score(degrade_frames(still, kind, s, seed=1)) for s in LEVELS]
    final = [o["identity_drift"].value for o in outs]
    slope = [o["identity_drift_slope"].value for o in outs]
    assert final[0] == 0.0
    assert spearmanr(LEVELS, final).statistic == 1.0, final
    assert spearmanr(LEVELS, slope).statistic == 1.0, slope
    # d(t) grows over time (checked at 0.4: at full strength the colour cast clips at 255
    # in the last frames and the histograms stop moving)
    assert np.all(np.diff(outs[3]["identity_drift"].timeline) >= -1e-3)


@pytest.mark.parametrize("image", ["astronaut", "coffee"])
def test_low_under_camera_translation(image):
    img = getattr(skdata, image)()
    pan = pan_video(img, 16, (1.0, 0.5), (128, 192))  # 16 px pan of the same content
    still = np.repeat(pan[:1], 16, axis=0)
    d_pan = score(pan)["identity_drift"].value
    d_colour = score(degrade_frames(still, "color_drift", 0.2, seed=1))["identity_drift"].value
    d_texture = score(degrade_frames(still, "texture_drift", 0.6, seed=1))["identity_drift"].value
    assert d_pan < 0.5 * d_colour and d_pan < 0.5 * d_texture, (d_pan, d_colour, d_texture)
    assert d_pan < 0.01


def test_static_video_has_no_drift():
    still = np.repeat(skdata.coffee()[None, :96, :128], 6, axis=0)
    out = score(still)
    assert out["identity_drift"].value == 0.0 and out["identity_drift_slope"].value == 0.0
    np.testing.assert_array_equal(out["identity_drift"].timeline, np.zeros(6))
