"""Weights manager: search order, offline failure, checks, safe loading."""

import re
import time
import urllib.request

import pytest
import torch

from vbench_lite import weights
from vbench_lite.errors import UserError
from vbench_lite.weights import BackboneUnavailable


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("VBENCH_LITE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VBENCH_LITE_ALLOW_DOWNLOAD", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("VBENCH_LITE_OFFLINE", raising=False)
    weights._reset_memo()
    yield tmp_path
    weights._reset_memo()


def test_required_ids_present():
    for bid in ("i3d-k400", "clip-vit-b-32", "dino-vits16", "raft-large", "raft-small"):
        s = weights.BACKBONES[bid]
        assert s.filename and s.url.startswith("https://") and s.format in ("torch", "safetensors")


def test_offline_fails_fast_with_one_line(monkeypatch):
    def no_network(*a, **k):
        raise AssertionError("must not touch the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    t0 = time.perf_counter()
    with pytest.raises(BackboneUnavailable, match=r"i3d_pretrained_400\.pt not found; put it in .*home/weights") as ei:
        weights.resolve("i3d-k400")
    assert time.perf_counter() - t0 < 0.5
    assert "\n" not in str(ei.value)
    reason = weights.availability("i3d-k400")
    assert reason and "i3d_pretrained_400.pt" in reason


def test_hf_offline_wins_over_allow(monkeypatch):
    monkeypatch.setenv("VBENCH_LITE_ALLOW_DOWNLOAD", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert not weights.download_allowed()
    assert weights.availability("raft-small") is not None


def test_explicit_path_then_cache(isolated_home):
    cache = weights.weights_dir()
    cache.mkdir(parents=True)
    f = cache / weights.BACKBONES["dino-vits16"].filename
    torch.save({"w": torch.zeros(2)}, f)
    assert weights.resolve("dino-vits16") == f
    assert weights.availability("dino-vits16") is None
    other = isolated_home / "elsewhere.pt"
    torch.save({"w": torch.ones(2)}, other)
    assert weights.resolve("dino-vits16", other) == other
    with pytest.raises(BackboneUnavailable, match="does not exist"):
        weights.resolve("dino-vits16", isolated_home / "nope.pt")


def test_failed_download_is_memoised(monkeypatch):
    calls = []

    def failing(url, timeout):
        calls.append(url)
        raise OSError("connection refused")

    monkeypatch.setenv("VBENCH_LITE_ALLOW_DOWNLOAD", "1")
    monkeypatch.setattr(urllib.request, "urlopen", failing)
    for _ in range(5):
        with pytest.raises(BackboneUnavailable, match="download of raft_small.* failed"):
            weights.resolve("raft-small")
    assert len(calls) == 1
    assert "failed" in weights.availability("raft-small")


class _Evil:
    """A pickled object that weights_only loading must refuse."""


class _FakeResponse:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def read(self, n):
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_download_checks_hash_and_rejects_html(monkeypatch, isolated_home):
    monkeypatch.setenv("VBENCH_LITE_ALLOW_DOWNLOAD", "1")
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: _FakeResponse(b"<html>quota</html>"))
    with pytest.raises(BackboneUnavailable, match="not a torch checkpoint"):
        weights.resolve("i3d-k400")
    assert not (weights.weights_dir() / "i3d_pretrained_400.pt").exists()
    # a real torch file with the wrong digest fails the raft sha256-prefix check
    buf = isolated_home / "x.pt"
    torch.save({"w": torch.zeros(1)}, buf)
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: _FakeResponse(buf.read_bytes()))
    with pytest.raises(BackboneUnavailable, match="sha256"):
        weights.resolve("raft-large")


def test_download_success_with_matching_hash(monkeypatch, isolated_home):
    buf = isolated_home / "x.pt"
    torch.save({"w": torch.zeros(1)}, buf)
    digest = weights.file_sha256(buf)
    fake = weights.BackboneSpec("fake", "fake.pt", "https://example.invalid/fake.pt", digest[:8], "torch", "t")
    monkeypatch.setitem(weights.BACKBONES, "fake", fake)
    monkeypatch.setenv("VBENCH_LITE_ALLOW_DOWNLOAD", "1")
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: _FakeResponse(buf.read_bytes()))
    path = weights.resolve("fake")
    assert path.read_bytes() == buf.read_bytes()


def test_load_state_dict_safe(tmp_path):
    sd = {"a": torch.arange(3.0)}
    torch.save({"state_dict": sd}, tmp_path / "w.pt")
    assert torch.equal(weights.load_state_dict(tmp_path / "w.pt")["a"], sd["a"])
    from safetensors.torch import save_file

    save_file(sd, str(tmp_path / "w.safetensors"))
    assert torch.equal(weights.load_state_dict(tmp_path / "w.safetensors")["a"], sd["a"])

    torch.save({"x": _Evil()}, tmp_path / "evil.pt")
    with pytest.raises(UserError, match="cannot read weights file"):
        weights.load_state_dict(tmp_path / "evil.pt")


def test_unknown_backbone_and_rows():
    with pytest.raises(UserError, match="unknown backbone"):
        weights.resolve("nope")
    rows = weights.backbone_rows()
    assert {r["id"] for r in rows} >= {"i3d-k400", "raft-large"}
    assert all(r["status"] == "missing" for r in rows)


# ---------------------------------------------------------------- file checks
def _torch_file(path, legacy=False):
    torch.save({"w": torch.arange(4.0)}, path, _use_new_zipfile_serialization=not legacy)
    return path


def _safetensors_file(path):
    from safetensors.torch import save_file

    save_file({"w": torch.arange(4.0)}, str(path))
    return path


def test_header_check_accepts_real_checkpoints(tmp_path):
    assert weights.header_problem(_torch_file(tmp_path / "zip.pt"), "torch") is None
    assert weights.header_problem(_torch_file(tmp_path / "legacy.pt", legacy=True), "torch") is None
    assert weights.header_problem(_safetensors_file(tmp_path / "w.safetensors"), "safetensors") is None


@pytest.mark.parametrize("damage, fmt, match", [
    (lambda b: b"\x13\xfc\xb7\xd1" * 16, "torch", "neither a zip archive nor a pickle"),
    (lambda b: b"", "torch", "empty file"),
    (lambda b: b"<!DOCTYPE html><html>quota exceeded</html>", "torch", "HTML"),
    (lambda b: b[:-40], "torch", "zip archive unreadable"),  # truncated download
    (lambda b: b"\x80\x02}q\x00." + b[6:], "torch", "magic number"),
    (lambda b: b"\x13\xfc\xb7\xd1" * 16, "safetensors", "header length .* does not fit"),
    (lambda b: b[:-3], "safetensors", "describes 16 bytes of tensors, the file holds 13"),
    (lambda b: b[:8] + b"[" + b[9:], "safetensors", "not a safetensors JSON table"),
    (lambda b: b"<html>" + b"x" * 64, "safetensors", "HTML"),
])
def test_header_check_names_the_damage(tmp_path, damage, fmt, match):
    good = _safetensors_file(tmp_path / "good.safetensors") if fmt == "safetensors" else _torch_file(tmp_path / "g.pt")
    bad = tmp_path / f"bad.{fmt}"
    bad.write_bytes(damage(good.read_bytes()))
    assert re.search(match, weights.header_problem(bad, fmt))


def _put(backbone_id, data: bytes):
    target = weights.weights_dir() / weights.BACKBONES[backbone_id].filename
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def test_corrupt_cache_file_is_unavailable_with_the_reason():
    target = _put("clip-vit-b-32", b"\x01\x02 random bytes")
    reason = weights.availability("clip-vit-b-32")
    assert reason and "corrupt" in reason and str(target) in reason and "not a safetensors file" in reason
    assert "\n" not in reason
    with pytest.raises(BackboneUnavailable, match="corrupt"):
        weights.resolve("clip-vit-b-32")
    row = weights.backbone_status("clip-vit-b-32")
    assert row["status"] == "corrupt" and row["pinned"] is False and row["checked"] == "header"
    assert "not a safetensors file" in row["problem"]


def test_file_check_is_memoised_per_file_version(monkeypatch, isolated_home):
    target = _put("dino-vits16", b"junk")
    calls = []
    real = weights.header_problem
    monkeypatch.setattr(weights, "header_problem", lambda p, fmt: calls.append(p) or real(p, fmt))
    for _ in range(3):
        assert "corrupt" in weights.availability("dino-vits16")
    assert len(calls) == 1
    _torch_file(target)  # replaced by a good file: new size and mtime, checked again
    assert weights.availability("dino-vits16") is None and len(calls) == 2


def test_explicit_unreadable_file_is_reported(tmp_path):
    bad = tmp_path / "mine.pt"
    bad.write_bytes(b"not a checkpoint")
    reason = weights.availability("dino-vits16", bad)
    assert "unusable" in reason and "not a torch checkpoint" in reason
    with pytest.raises(BackboneUnavailable, match="unusable"):
        weights.resolve("dino-vits16", bad)
    # an explicit file is the user's choice: header checked, digest not (random test weights)
    assert weights.availability("raft-small", _torch_file(tmp_path / "raft.pt")) is None


def test_pinned_file_is_verified_by_sha256(monkeypatch, isolated_home):
    good = _torch_file(isolated_home / "x.pt")
    digest = weights.file_sha256(good)
    fake = weights.BackboneSpec("fake", "fake.pt", "https://example.invalid/fake.pt", digest[:8], "torch", "t")
    monkeypatch.setitem(weights.BACKBONES, "fake", fake)
    _put("fake", good.read_bytes())
    row = weights.backbone_status("fake")
    assert row["status"] == "available" and row["pinned"] and row["checked"] == "sha256"
    # a loadable checkpoint with other bytes fails the pinned digest
    weights._reset_memo()
    _put("fake", _torch_file(isolated_home / "y.pt", legacy=True).read_bytes())
    assert "sha256" in weights.availability("fake")
    row = weights.backbone_status("fake")
    assert row["status"] == "corrupt" and "sha256" in row["problem"]


def test_status_missing_and_downloadable(monkeypatch):
    assert weights.backbone_status("raft-large")["status"] == "missing"
    assert weights.backbone_status("raft-large")["pinned"] is True
    monkeypatch.setenv("VBENCH_LITE_ALLOW_DOWNLOAD", "1")
    row = weights.backbone_status("raft-large")
    assert row["status"] == "downloadable" and "download.pytorch.org" in row["reason"]
