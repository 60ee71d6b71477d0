"""``vbench-lite list``: generators, suites, metrics (with backbones and availability)."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("list", help="list generators, suites and metrics",
                       description="List generators, suites, metrics and backbones, and whether each "
                       "can run on this machine.")
    p.add_argument("what", nargs="?", choices=("all", "generators", "suites", "metrics", "backbones"),
                   default="all")
    p.add_argument("name", nargs="?", help="with `generators`: one generator, every setting's meaning and its "
                   "usage notes in full")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_list)


def _summary(cls) -> str:
    """A generator's one-line description: the first line of its module's docstring,
    without the leading "``name``: "."""
    import re
    import sys

    doc = (getattr(sys.modules.get(cls.__module__), "__doc__", None) or cls.__doc__ or "").strip()
    first = doc.split("\n\n")[0].replace("\n", " ")
    first = re.sub(r"^(the\s+)?``[^`]+``(\s+generator)?:\s*", "", first, flags=re.I)
    return first.replace("``", "").rstrip(".")


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, cut at a word with "..." when longer."""
    if len(text) <= width:
        return text
    head = text[:width - 3]
    space = head.rfind(" ")
    return (head[:space] if space > width // 2 else head).rstrip(" ,:;(") + "..."


def setting_rows(cls) -> list[dict]:
    """Every setting of generator class ``cls``: name, type, default and meaning (from
    ``settings_help``; "" when undocumented), then the pseudo-entries for families of
    keys ("pipe.KEY", "base.KEY": no type or default)."""
    meaning = dict(getattr(cls, "settings_help", {}) or {})
    rows = [{"name": k, "type": "any" if v is None else type(v).__name__, "default": v,
             "meaning": meaning.get(k, "")} for k, v in cls.settings.items()]
    rows += [{"name": k, "type": "", "default": None, "meaning": m} for k, m in meaning.items()
             if k not in cls.settings]
    return rows


def _generators(only: str | None = None):
    from vbench_lite.generators import GENERATORS

    out = []
    for name in GENERATORS.names() if only is None else [only]:
        try:
            cls = GENERATORS.get(name)
            reason = cls.unavailable_reason() if hasattr(cls, "unavailable_reason") else None
            row = {"name": name, "available": reason is None, "summary": _summary(cls),
                   "settings": dict(cls.settings), "settings_help": setting_rows(cls),
                   "notes": getattr(cls, "usage_notes", "") or ""}
            out.append(row if reason is None else {**row, "reason": reason})
        except Exception as exc:  # an optional backend that does not import here
            from vbench_lite.errors import UserError

            if only is not None and isinstance(exc, UserError):
                raise
            out.append({"name": name, "available": False, "reason": str(exc).splitlines()[0][:120]})
    return out


def _suites():
    from vbench_lite.case import SUITES

    return [{"name": n} for n in SUITES.names()]


def _metrics():
    from vbench_lite.metrics import METRICS

    out = []
    for name in METRICS.names():
        try:
            cls = METRICS.get(name)
            m = cls()
        except Exception as exc:
            out.append({"name": name, "available": False, "reason": str(exc).splitlines()[0][:120]})
            continue
        reason = m.unavailable_reason()
        options = [{"name": o.name, "type": o.type_text, "default": o.default, "meaning": o.meaning_text,
                    "identity": o.identity} for o in getattr(cls, "options", ())]
        out.append({"name": name, "group": m.group, "backbone": m.backbone, "available": reason is None,
                    "reason": reason, "outputs": [o.name for o in m.outputs], "options": options})
    return out


def option_lines(r: dict, width: int = 100) -> list[str]:
    """A metric's declared options under its line: name, type, default, and the meaning
    wrapped under its column (never cut)."""
    import textwrap

    rows = r.get("options") or []
    if not rows:
        return []
    wn = max(len(o["name"]) for o in rows)
    wt = max(len(o["type"]) for o in rows)
    shown = ["none" if o["default"] is None else json.dumps(o["default"]) for o in rows]
    wd = max(len(d) for d in shown)
    lines = []
    for o, d in zip(rows, shown):
        head = f"      {o['name']:<{wn}} {o['type']:<{wt}} {d:<{wd}} "
        lines += textwrap.wrap(o["meaning"], width=width, initial_indent=head,
                               subsequent_indent=" " * len(head), break_long_words=False) or [head]
    return lines


def _backbones():
    """Each backbone's file checked (sha256 when pinned, else its header): available,
    corrupt (why), missing or downloadable. ``available`` mirrors the other sections."""
    from vbench_lite.weights import backbone_rows

    rows = []
    for r in backbone_rows():
        rows.append({"name": r["id"], "available": r["status"] == "available", **r})
    return rows


WIDTH = 100  # columns of the table output


def _backbone_line(r: dict) -> str:
    pin = "pinned sha256" if r["pinned"] else "not pinned"
    if r["status"] == "available":
        how = "sha256 verified" if r["checked"] == "sha256" else "header checked"
        return f"  {r['name']}: available ({how}; {pin})  {r['path']}"
    if r["status"] == "corrupt":
        return f"  {r['name']}: corrupt ({pin}): {r['problem']}; delete {r['path']} and get it again"
    return f"  {r['name']}: {r['status']} ({pin}): {r['reason']}"


def _wrapped(line: str, width: int = WIDTH) -> list[str]:
    """A long line wrapped at words under its indent (a URL or path is never broken)."""
    import textwrap

    return textwrap.wrap(line, width=width, subsequent_indent="      ", break_long_words=False,
                         break_on_hyphens=False) or [line]


def brief_reason(reason: str, backbone: str | None = None) -> str:
    """The first clause of an unavailable reason, without the "backbone ID: " its line
    already names: "weights file X not found"."""
    text = str(reason or "").split("; ")[0]
    if backbone and text.startswith(f"backbone {backbone}: "):
        text = text[len(f"backbone {backbone}: "):]
    return text


def _metric_line(r: dict, width: int = WIDTH) -> str:
    from vbench_lite.cli.output import clip

    if r.get("available", True):
        return f"  {r['name']}" + (f"  (backbone {r['backbone']})" if r.get("backbone") else "")
    why = brief_reason(r.get("reason"), r.get("backbone"))
    if r.get("backbone"):  # "(backbone X: FILE not found)": the file's name before anything is cut
        why = why.removeprefix("weights file ")
        return clip(f"  {r['name']}  (backbone {r['backbone']}: {why})", width)
    return clip(f"  {r['name']}  [unavailable: {why}]", width)


def _shown_default(row: dict) -> str:
    if not row["type"]:  # a family of keys ("pipe.KEY"): no default
        return ""
    return "none" if row["default"] is None else json.dumps(row["default"], ensure_ascii=False)


def generator_lines(row: dict, *, full: bool, width: int = 100) -> list[str]:
    """One generator in text: its name, state and description, then a settings table
    (name, type, default, meaning) in ``width`` columns -- each meaning cut to one line
    unless ``full`` -- then its usage notes (full or their first sentence)."""
    import textwrap

    state = "" if row.get("available", True) else f"  [unavailable: {row.get('reason')}]"
    head = f"  {row['name']}" + (f" -- {row['summary']}" if row.get("summary") else "")
    lines = [(head + state) if full else cut(head, width) + state]
    settings = row.get("settings_help") or []
    if settings:
        name_w = min(max(len(r["name"]) for r in settings), 22)
        type_w = max(4, *(len(r["type"]) for r in settings))
        defaults = [_shown_default(r) for r in settings]
        def_w = min(max([7, *map(len, defaults)]), 16)
        lead = 4 + name_w + 1 + type_w + 1 + def_w + 1
        lines.append(" " * 4 + f"{'setting':<{name_w}} {'type':<{type_w}} {'default':<{def_w}} meaning")
        for r, d in zip(settings, defaults):
            d = d if len(d) <= def_w else d[:def_w - 1] + "~"
            name = r["name"] if len(r["name"]) <= name_w else r["name"][:name_w - 1] + "~"
            cells = " " * 4 + f"{name:<{name_w}} {r['type']:<{type_w}} {d:<{def_w}} "
            meaning = r["meaning"] or "(undocumented)"
            if full:
                lines += textwrap.wrap(meaning, width=width, initial_indent=cells,
                                       subsequent_indent=" " * lead) or [cells.rstrip()]
            else:
                lines.append(cells + cut(meaning, max(20, width - lead)))
    notes = row.get("notes") or ""
    if notes and full:
        lines += textwrap.wrap("notes: " + notes, width=width, initial_indent="    ", subsequent_indent="      ")
    elif notes:
        first = notes.split(". ")[0].rstrip(".")
        wrapped = textwrap.wrap(f"notes: {first}.", width=width, initial_indent="    ", subsequent_indent="      ")
        if len(wrapped) > 2:  # the footer says how to see them all
            wrapped = [wrapped[0], cut(wrapped[1] + " " + wrapped[2], width)]
        lines += wrapped
    return lines


def cmd_list(args) -> int:
    from vbench_lite.errors import UserError

    name = getattr(args, "name", None)
    if name is not None and args.what != "generators":
        raise UserError(f"list {args.what} {name}: a name goes with `list generators NAME` only")
    if name is not None:
        from vbench_lite.generators import GENERATORS

        GENERATORS.get(name)  # an unknown name: one line with the known ones
    sections = {"generators": lambda: _generators(name), "suites": _suites, "metrics": _metrics,
                "backbones": _backbones}
    chosen = list(sections) if args.what == "all" else [args.what]
    data = {k: sections[k]() for k in chosen}
    if args.format == "json":
        print(json.dumps(data, indent=1, default=str))
        return 0
    for section, rows in data.items():
        print(f"{section}:")
        if section == "backbones":
            if args.what == "backbones":  # everything: where each file goes and where to get it
                for r in rows:
                    print("\n".join(_wrapped(_backbone_line(r))))
                continue
            from vbench_lite.cli.output import clip
            from vbench_lite.weights import weights_dir

            for r in rows:
                brief = {**r, "reason": brief_reason(r.get("reason"), r["name"]),
                         "path": r.get("path"), "problem": r.get("problem")}
                print(clip(_backbone_line(brief).split("; delete")[0], WIDTH))
            print("\n".join(_wrapped(f"  Missing files go in {weights_dir()}.")))
            print("  Where to get each: vbench-lite list backbones")
            continue
        if section == "generators":
            for r in rows:
                print("\n".join(generator_lines(r, full=name is not None)))
            if name is None:
                print("  Set with --set KEY=VALUE, sweep with --sweep KEY=V1,V2.\n"
                      "  One generator with every meaning and note in full: vbench-lite list generators NAME")
            continue
        for r in rows:
            print(_metric_line(r) if section == "metrics" else f"  {r['name']}")
            if section == "metrics":
                for line in option_lines(r):
                    print(line)
        if section == "metrics":
            print("  Set an option with --metric-set METRIC.OPTION=VALUE.")
    return 0
