"""``vbench-lite list``: generators, suites, metrics (with backbones and availability)."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("list", help="list generators, suites and metrics",
                       description="List generators, suites, metrics and backbones, and whether each "
                       "can run on this machine.")
    p.add_argument("what", nargs="?", choices=("all", "generators", "suites", "metrics", "backbones"),
                   default="all")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_list)


def _generators():
    from vbench_lite.generators import GENERATORS

    out = []
    for name in GENERATORS.names():
        try:
            cls = GENERATORS.get(name)
            reason = cls.unavailable_reason() if hasattr(cls, "unavailable_reason") else None
            row = {"name": name, "available": reason is None, "settings": dict(cls.settings)}
            out.append(row if reason is None else {**row, "reason": reason})
        except Exception as exc:  # an optional backend that does not import here
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
            m = METRICS.get(name)()
        except Exception as exc:
            out.append({"name": name, "available": False, "reason": str(exc).splitlines()[0][:120]})
            continue
        reason = m.unavailable_reason()
        out.append({"name": name, "group": m.group, "backbone": m.backbone, "available": reason is None,
                    "reason": reason, "outputs": [o.name for o in m.outputs]})
    return out


def _backbones():
    """Each backbone's file checked (sha256 when pinned, else its header): available,
    corrupt (why), missing or downloadable. ``available`` mirrors the other sections."""
    from vbench_lite.weights import backbone_rows

    rows = []
    for r in backbone_rows():
        rows.append({"name": r["id"], "available": r["status"] == "available", **r})
    return rows


def _backbone_line(r: dict) -> str:
    pin = "pinned sha256" if r["pinned"] else "not pinned"
    if r["status"] == "available":
        how = "sha256 verified" if r["checked"] == "sha256" else "header checked"
        return f"  {r['name']}: available ({how}; {pin})  {r['path']}"
    if r["status"] == "corrupt":
        return f"  {r['name']}: corrupt ({pin}): {r['problem']}; delete {r['path']} and get it again"
    return f"  {r['name']}: {r['status']} ({pin}): {r['reason']}"


def cmd_list(args) -> int:
    sections = {"generators": _generators, "suites": _suites, "metrics": _metrics, "backbones": _backbones}
    chosen = list(sections) if args.what == "all" else [args.what]
    data = {k: sections[k]() for k in chosen}
    if args.format == "json":
        print(json.dumps(data, indent=1, default=str))
        return 0
    for section, rows in data.items():
        print(f"{section}:")
        if section == "backbones":
            for r in rows:
                print(_backbone_line(r))
            continue
        for r in rows:
            state = "" if r.get("available", True) else f"  [unavailable: {r.get('reason')}]"
            extra = f"  (backbone {r['backbone']})" if r.get("backbone") else ""
            print(f"  {r['name']}{extra}{state}")
    return 0
