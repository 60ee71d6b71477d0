"""README's metric table shows each output's direction exactly as declared in code."""

import re
from pathlib import Path

from vbench_lite.metrics import METRICS

README = Path(__file__).resolve().parent.parent / "README.md"
WORD = {True: "higher", False: "lower", None: "—"}


def _table() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("| metric | outputs (direction) |")
    return text[start:text.index("\n\n", start)]


def test_every_declared_output_is_in_the_readme_with_its_direction():
    rows = _table()
    shown = {m.group(1): (m.group(2), bool(m.group(3))) for m in re.finditer(r"`(\w+)` (higher|lower|—)( †)?", rows)}
    declared = {o.name: o for n in METRICS.names() for o in METRICS.get(n).outputs}
    assert set(shown) == set(declared), (set(declared) ^ set(shown))
    for name, out in declared.items():
        assert shown[name] == (WORD[out.higher_is_better], out.motion_confounded), name
