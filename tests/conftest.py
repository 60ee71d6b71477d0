"""Fixtures shared by the test modules (builders live in tests/helpers/)."""

import pytest

from helpers.backbones import write_tiny_clip, write_tiny_dino, write_tiny_i3d


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "store" / "results.sqlite"


@pytest.fixture
def torch_one_thread():
    """One torch thread for the test: on a small oversubscribed machine more threads
    spin-wait and run several times slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture()
def i3d_home(tmp_path, monkeypatch):
    """A tiny random I3D (piergiaj layout) in $VBENCH_LITE_HOME/weights."""
    from vbench_lite import weights

    monkeypatch.setenv("VBENCH_LITE_HOME", str(tmp_path))
    monkeypatch.delenv("VBENCH_LITE_ALLOW_DOWNLOAD", raising=False)
    weights._reset_memo()
    return write_tiny_i3d(tmp_path / "weights" / weights.BACKBONES["i3d-k400"].filename)


@pytest.fixture(scope="module")
def tiny_dino(tmp_path_factory):
    return write_tiny_dino(tmp_path_factory.mktemp("dino") / "dino.pth")


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    return write_tiny_clip(tmp_path_factory.mktemp("clipcfg"))
