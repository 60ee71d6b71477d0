"""Suites for real models: ``prompts-video`` (natural-language prompts grouped by what
vbench-lite measures, each saying what it tests) and ``images`` (bundled
redistributable photos as first frames, fitted to any RenderSpec)."""

import collections
import tomllib
from pathlib import Path

import numpy as np
import pytest

from vbench_lite.case import SUITES, PromptSuite, RenderSpec, check_case_id, check_prompt, resolve_suite
from vbench_lite.errors import UserError
from vbench_lite.images import IMAGES_DIR, fit_image

VIDEO_GROUPS = {"static", "camera", "people", "animals", "vehicles", "multi-object", "occlusion", "counting",
                "conservation", "dynamics", "long"}
MIN_PER_GROUP = 12
SVD_LIKE = RenderSpec(height=576, width=1024, num_frames=25, fps=7.0, cond_frames=1)


def test_prompts_video_has_150_valid_prompts_in_every_group():
    suite = resolve_suite("prompts-video")
    assert suite.name == "prompts-video" and suite.version == "1"
    cases = suite.cases(SVD_LIKE)
    assert len(cases) >= 150
    ids = [c.case_id for c in cases]
    assert len(set(ids)) == len(ids)
    assert len({c.prompt for c in cases}) == len(cases)  # no copy-pasted prompt
    groups = collections.Counter(c.group for c in cases)
    assert set(groups) == VIDEO_GROUPS and min(groups.values()) >= MIN_PER_GROUP, groups
    for c in cases:
        assert check_case_id(c.case_id) and check_prompt(c.prompt) and c.case_id.startswith(c.group + "-")
        assert 20 <= len(c.prompt) <= 200, c.case_id
        tests = c.params["tests"]
        assert isinstance(tests, str) and 5 <= len(tests) <= 80 and check_prompt(tests), c.case_id
        assert (c.height, c.width, c.num_frames, c.fps, c.cond_frames) == (576, 1024, 25, 7.0, None)


def test_prompt_suites_keep_tests_and_old_suites_still_load(tmp_path):
    basic = resolve_suite("prompts-basic").cases(RenderSpec())
    assert len(basic) == 6 and all(c.params == {} for c in basic)  # no `tests`: nothing invented
    f = tmp_path / "s.toml"
    f.write_text('name = "t"\n[[case]]\nid = "a"\nprompt = "a cat"\ntests = "identity"\n'
                 '[[case]]\nid = "b"\nprompt = "a dog"\n')
    a, b = PromptSuite.from_file(f).cases(RenderSpec())
    assert a.params == {"tests": "identity"} and b.params == {}


@pytest.mark.parametrize("body, message", [
    ('[[case]]\nid = "a"\nprompt = "x"\n[[case]]\nid = "a"\nprompt = "y"\n', "appears twice"),
    ('[[case]]\nid = "a"\nprompt = "x"\ntests = 3\n', "'tests' must be text"),
    ('[[case]]\nid = "a"\nprompt = "x"\ngroup = ["g"]\n', "'group' must be text"),
    ('case = [1, 2]\n', "must be \\[\\[case\\]\\] tables"),
    ('[[case]]\nid = "a/b"\nprompt = "x"\n', "bad case id"),
])
def test_bad_prompt_suite_files_are_one_line(tmp_path, body, message):
    f = tmp_path / "bad.toml"
    f.write_text(body)
    with pytest.raises(UserError, match=message):
        PromptSuite.from_file(f)


def test_image_suite_fits_every_photo_to_any_geometry():
    suite = resolve_suite("images")
    assert suite.name == "images" and suite.version == "1"
    for spec in (RenderSpec(), SVD_LIKE, RenderSpec(480, 832, 49, 16.0, 0), RenderSpec(64, 40, 8, 10.0, 4)):
        cases = suite.cases(spec)
        assert len(cases) >= 20 and len({c.case_id for c in cases}) == len(cases)
        for c in cases:
            # one conditioning frame, the photo, whatever the generator declares
            assert c.cond_frames.shape == (1, spec.height, spec.width, 3) and c.cond_frames.dtype == np.uint8
            assert c.cond_frames.std() > 5, c.case_id  # a picture, not a blank frame
            assert (c.num_frames, c.fps) == (spec.num_frames, spec.fps)
            assert c.params["tests"] and c.params["license"] and (IMAGES_DIR / c.params["image"]).is_file()
    assert {c.group for c in suite.cases(RenderSpec())} >= {"static", "camera", "subject", "dynamics"}


def test_bundled_images_are_small_and_every_one_has_a_free_licence():
    data = tomllib.loads((IMAGES_DIR.parent / "images.toml").read_text())
    files = {p.name for p in IMAGES_DIR.iterdir() if not p.name.startswith(".")}
    declared = {img["file"] for img in data["image"]}
    assert files == declared  # nothing bundled without a licence entry, nothing missing
    assert sum((IMAGES_DIR / f).stat().st_size for f in files) < 2_000_000
    for img in data["image"]:
        assert img["license"].startswith(("CC0", "public domain")), img
        assert img["source"].startswith("skimage.data."), img
    assert {c["image"] for c in data["case"]} == declared  # every photo is used


def test_fit_image_crops_to_the_aspect_then_resizes():
    img = np.zeros((100, 200, 3), np.uint8)
    img[:, 50:150] = 255  # a white square band in the middle of a wide picture
    square = fit_image(img, 50, 50)  # centre crop 100x100 = the band, all white
    assert square.shape == (50, 50, 3) and square.min() == 255
    wide = fit_image(img, 30, 120)  # 1:4 from 1:2 -> crop rows 25..75, all columns
    assert wide.shape == (30, 120, 3) and wide[:, :20].max() == 0 and wide[:, 40:80].min() == 255
    grey = fit_image(np.full((10, 10), 7, np.uint8), 20, 30)  # grey -> RGB, enlarged
    assert grey.shape == (20, 30, 3) and np.all(grey == 7)
    top = fit_image(np.arange(100, dtype=np.uint8)[:, None].repeat(100, 1), 10, 100, center=(0.0, 0.5))
    assert top[0, 0, 0] < 5  # the crop moved to the top
    with pytest.raises(UserError, match="1..8192"):
        fit_image(img, 0, 10)
    with pytest.raises(UserError, match="fractions"):
        fit_image(img, 10, 10, center=(2.0, 0.5))


def test_every_registered_suite_builds_cases():
    for name in SUITES.names():
        cases = resolve_suite(name).cases(RenderSpec(36, 64, 9, 8.0, 1))
        assert cases and all(c.suite == name for c in cases), name
