import sys
import types

import pytest

from vbench_lite.errors import UserError
from vbench_lite.generators import GENERATORS
from vbench_lite.registry import Registry


def test_lazy_targets_are_not_imported_until_used():
    mod = types.ModuleType("vb_lazy_mod")
    mod.Thing = object()
    reg = Registry("thing")
    reg.register("x", "vb_lazy_mod:Thing")
    assert "x" in reg
    sys.modules["vb_lazy_mod"] = mod
    try:
        assert reg.get("x") is mod.Thing
    finally:
        del sys.modules["vb_lazy_mod"]


def test_did_you_mean():
    with pytest.raises(UserError, match="did you mean 'simulator'"):
        GENERATORS.get("simulater")


def test_decorator_registration_and_duplicates():
    reg = Registry("thing")

    @reg.register("a")
    class A:
        pass

    assert reg.get("a") is A
    with pytest.raises(ValueError):
        reg.register("a", "other:Thing")


def test_unregister():
    reg = Registry("thing")
    reg.register("a", "mod:Thing")
    assert reg.unregister("a") == "mod:Thing" and "a" not in reg
    with pytest.raises(KeyError):
        reg.unregister("a")
    reg.register("a", "other:Thing")  # the name is free again
    assert "a" in reg


def test_entry_point_group(monkeypatch):
    from importlib import metadata

    ep = metadata.EntryPoint(name="plugin-gen", value="vbench_lite.generators.folder:FolderGenerator",
                             group="vbench_lite.generators")
    monkeypatch.setattr(metadata, "entry_points", lambda group=None: [ep] if group == "vbench_lite.generators" else [])
    reg = Registry("generator", entry_point_group="vbench_lite.generators")
    assert reg.get("plugin-gen").__name__ == "FolderGenerator"


def test_importing_the_package_stays_light():
    code = ("import sys, vbench_lite, vbench_lite.generators, vbench_lite.metrics, vbench_lite.cli; "
            "print('torch' in sys.modules)")
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
