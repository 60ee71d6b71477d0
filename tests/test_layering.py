"""The layering of docs/ARCHITECTURE.md, checked on every import statement (lazy
imports inside functions included):

    core (vbench_lite/*.py)  <-  probes  <-  metrics, generators  <-  runners  <-  cli
    reports read the store (core) only; test builders live in tests/, not the package.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = "core"
# layer -> folder (relative to the repository root) and the layers it may import
LAYERS = {
    CORE: ("vbench_lite", {CORE}),
    "probes": ("probes", {CORE, "probes"}),
    "metrics": ("metrics", {CORE, "probes", "metrics"}),
    "generators": ("vbench_lite/generators", {CORE, "probes", "generators"}),
    "runners": ("runners", {CORE, "probes", "metrics", "generators", "runners"}),
    "reports": ("reports", {CORE, "reports"}),
    "cli": ("vbench_lite/cli", {CORE, "probes", "metrics", "generators", "runners", "reports", "cli"}),
}
ENTRY_POINTS = {"vbench_lite/__main__.py"}  # `python -m vbench_lite` is the CLI


def layer_of_module(name: str) -> str | None:
    """The layer of an imported ``vbench_lite...`` module name (None: not ours)."""
    parts = name.split(".")
    if parts[0] != "vbench_lite":
        return None
    if len(parts) == 1:
        return CORE
    return parts[1] if parts[1] in LAYERS else CORE


def layer_of_file(path: Path) -> str:
    rel = path.relative_to(ROOT).as_posix()
    for layer, (folder, _) in LAYERS.items():
        if layer != CORE and rel.startswith(folder + "/"):
            return layer
    return CORE


def imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "vbench_lite":  # from vbench_lite import metrics
                for a in node.names:
                    yield node.lineno, f"vbench_lite.{a.name}"
            else:
                yield node.lineno, node.module


def package_files():
    for folder in ("vbench_lite", "probes", "metrics", "runners", "reports"):
        yield from sorted((ROOT / folder).rglob("*.py"))


def violations() -> list[str]:
    out = []
    for path in package_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel in ENTRY_POINTS:
            continue
        layer = layer_of_file(path)
        allowed = LAYERS[layer][1]
        for line, name in imports(path):
            target = layer_of_module(name)
            if target is not None and target not in allowed:
                out.append(f"{rel}:{line}: {layer} imports {name} ({target})")
    return out


def test_every_import_respects_the_layering():
    assert violations() == []


def test_the_check_catches_a_violation(tmp_path, monkeypatch):
    bad = ROOT / "probes" / "_layering_probe_tmp.py"
    bad.write_text("def f():\n    from vbench_lite.generators import create_generator\n")
    try:
        assert any("_layering_probe_tmp.py:2: probes imports vbench_lite.generators" in v for v in violations())
    finally:
        bad.unlink()


@pytest.mark.parametrize("name", ["synthetic", "_synthetic"])
def test_test_builders_are_not_shipped(name):
    assert not list(ROOT.glob(f"*/{name}.py")), "test builders belong in tests/helpers"
