"""Weights manager: search order, offline failure, checks, safe loading."""

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
