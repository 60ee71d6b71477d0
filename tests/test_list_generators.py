"""Discoverable settings: every built-in generator documents every setting (one-line
``settings_help``), the command generator its placeholders and the folder generator
its naming rules (``usage_notes``), and `vbench-lite list generators [NAME]` shows
each setting's type, default and meaning in 100 columns (text) and in full (JSON)."""

import json
import re

import pytest

from vbench_lite.cli import main
from vbench_lite.generators import GENERATORS

WIDTH = 100


def builtin_names() -> list[str]:
    """Generators this package registers (not third-party entry points)."""
    GENERATORS.names()
    return sorted(n for n, t in GENERATORS._entries.items()  # a lazy "module:Class" target, or the class loaded
                  if (t if isinstance(t, str) else getattr(t, "__module__", "")).startswith("vbench_lite.generators."))


def test_the_builtins_are_all_there():
    assert {"folder", "command", "degraded", "simulator", "reference-dit", "diffusers", "svd"} <= set(builtin_names())


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_generator_documents_every_setting(name):
    cls = GENERATORS.get(name)
    help_ = cls.settings_help
    undocumented = [k for k in cls.settings if not (help_.get(k) or "").strip()]
    assert not undocumented, f"{name}: settings without a meaning in settings_help: {undocumented}"
    stale = [k for k in help_ if k not in cls.settings and "KEY" not in k]
    assert not stale, f"{name}: settings_help names settings that do not exist: {stale}"
    for key, meaning in help_.items():
        assert "\n" not in meaning and len(meaning) <= 240, f"{name}.{key}: a meaning is one line"


def test_placeholders_and_naming_rules_are_documented():
    from vbench_lite.generators.command import PLACEHOLDERS, CommandGenerator
    from vbench_lite.generators.folder import FolderGenerator
    from vbench_lite.io import ARRAY_EXTS, IMAGE_EXTS, VIDEO_EXTS

    for p in PLACEHOLDERS:
        assert "{" + p + "}" in CommandGenerator.usage_notes
    notes = FolderGenerator.usage_notes
    for rule in ("<case_id>__s<seed>.<ext>", "<case_id>.<ext>", "<case_id>/", "manifest", "case_id,path[,seed]"):
        assert rule in notes
    assert all(ext in notes for ext in VIDEO_EXTS | ARRAY_EXTS | IMAGE_EXTS)
    assert "base.KEY" in GENERATORS.get("degraded").settings_help


def _type(v) -> str:
    return "any" if v is None else type(v).__name__


def test_list_generators_shows_type_default_and_meaning_in_100_columns(capsys):
    assert main(["list", "generators"]) == 0
    text = capsys.readouterr().out
    assert max(map(len, text.splitlines())) <= WIDTH
    blocks = re.split(r"\n  (?=\S)", text)  # one block per generator
    for name in builtin_names():
        cls = GENERATORS.get(name)
        block = next(b for b in blocks if b.startswith(f"{name} ") or b.startswith(f"{name}\n"))
        for key, default in cls.settings.items():
            shown = "none" if default is None else json.dumps(default)
            line = next((ln for ln in block.splitlines() if ln.split()[:1] == [key]), None)
            assert line is not None, f"{name}: setting {key} not listed"
            words = line.split()
            assert words[1] == _type(default), line
            cell = words[2]  # a long default is cut with "~"
            assert cell == shown or (cell.endswith("~") and shown.startswith(cell[:-1])), line
            assert cls.settings_help[key].split()[0] in line  # the meaning starts on the setting's line
    assert "vbench-lite list generators NAME" in text


def test_list_generators_json_has_every_setting_with_type_default_and_meaning(capsys):
    assert main(["list", "generators", "--format", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["generators"]}
    for name in builtin_names():
        cls, row = GENERATORS.get(name), rows[name]
        detail = {d["name"]: d for d in row["settings_help"]}
        assert row["settings"] == cls.settings  # the plain {name: default} form stays
        for key, default in cls.settings.items():
            assert detail[key] == {"name": key, "type": _type(default), "default": default,
                                   "meaning": cls.settings_help[key]}
        assert row["notes"] == cls.usage_notes
    assert {d["name"] for d in rows["degraded"]["settings_help"]} >= {"base.KEY"}


def test_one_generator_in_full(capsys):
    from vbench_lite.generators.command import PLACEHOLDERS, CommandGenerator

    assert main(["list", "generators", "command"]) == 0
    text = capsys.readouterr().out
    assert max(map(len, text.splitlines())) <= WIDTH
    flat = " ".join(text.split())
    for meaning in CommandGenerator.settings_help.values():
        assert " ".join(meaning.split()) in flat  # never cut
    assert " ".join(CommandGenerator.usage_notes.split()) in flat
    assert all("{" + p + "}" in text for p in PLACEHOLDERS)
    assert "\n  folder" not in text and "\n  degraded" not in text  # just the one generator


def test_a_name_must_be_a_generator(capsys):
    assert main(["list", "generators", "nope"]) == 2
    assert "unknown generator 'nope'" in capsys.readouterr().err
    assert main(["list", "metrics", "flicker"]) == 2
    assert "list generators NAME" in capsys.readouterr().err
