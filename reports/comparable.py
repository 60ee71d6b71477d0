"""Whether two runs can be judged against each other, and what a candidate lost.

Two runs are *comparable* when they ask the same questions: the same suites (names and
versions), the same geometry (frames, size, fps, conditioning frames) where a generator
made the videos, metrics of the same identity (version, backbone file, protocol,
options) wherever both ran one, and a candidate whose (case, seed) items are all items
of the baseline. The generator and its settings may differ: comparing models or
settings is what ``compare`` is for. A candidate that *lacks* some of the baseline's
items is comparable: those items are *lost* (``lost_items``), and the gate counts them
against it. Runs recorded before these facts were stored are compared on what both hold.
"""

from __future__ import annotations

import json
import re

import pandas as pd

from vbench_lite.reports.data import RunData

_GEOMETRY_KEYS = ("num_frames", "height", "width", "fps", "cond_frames")


def _few(keys, n: int = 4) -> str:
    keys = sorted(keys)
    return ", ".join(keys[:n]) + (f" and {len(keys) - n} more" if len(keys) > n else "")


def _geometry(render: dict) -> str:
    return f"{render.get('num_frames')} frames of {render.get('height')}x{render.get('width')} " \
           f"at {render.get('fps'):g} fps"


def mismatch(base: dict, cand: dict, base_items: pd.DataFrame | None = None,
             cand_items: pd.DataFrame | None = None) -> str | None:
    """One line naming how ``cand`` differs from ``base`` so that they are not
    comparable, or None. ``base``/``cand`` are store run records; the items frames
    (case_id, seed) are the written items, used when a run predates ``case_ids``."""
    pb, pc = base.get("provenance") or {}, cand.get("provenance") or {}
    sb, sc = pb.get("suite_versions"), pc.get("suite_versions")
    if sb is not None and sc is not None and sb != sc:
        return f"suites differ: {_suites(sb)} vs {_suites(sc)}"
    if sb is None or sc is None:
        if sorted(base.get("suites") or []) != sorted(cand.get("suites") or []):
            return f"suites differ: {base.get('suites')} vs {cand.get('suites')}"
    rb, rc = pb.get("render"), pc.get("render")
    if rb and rc and any(rb.get(k) != rc.get(k) for k in _GEOMETRY_KEYS):
        return f"geometry differs: {_geometry(rb)} vs {_geometry(rc)}"
    cb, cc = pb.get("case_ids"), pc.get("case_ids")
    if cb is not None and cc is not None:
        extra = set(cc) - set(cb)
        if extra:
            return f"cases differ: {len(extra)} case(s) of the candidate are not in the baseline ({_few(extra)})"
    seeds_extra = set(cand.get("seeds") or []) - set(base.get("seeds") or [])
    if seeds_extra:
        return f"seeds differ: {sorted(cand.get('seeds') or [])} vs baseline {sorted(base.get('seeds') or [])}"
    if (cb is None or cc is None) and base_items is not None and cand_items is not None:
        extra = set(cand_items["case_id"]) - set(base_items["case_id"])
        if extra:
            return f"cases differ: {len(extra)} case(s) of the candidate are not in the baseline ({_few(extra)})"
    mb, mc = pb.get("metric_ids") or {}, pc.get("metric_ids") or {}
    for name in sorted(set(mb) & set(mc)):
        if mb[name] != mc[name]:
            keys = sorted(k for k in set(mb[name]) | set(mc[name]) if mb[name].get(k) != mc[name].get(k))
            what = "; ".join(f"{k} {json.dumps(mb[name].get(k))} vs {json.dumps(mc[name].get(k))}" for k in keys)
            return f"metric {name} differs: {what}"[:300]
    return None


def _suites(sv: dict) -> str:
    return "+".join(f"{k} v{v}" for k, v in sorted(sv.items()))


def lost_items(base: RunData, cand: RunData) -> pd.DataFrame:
    """Items (case_id, seed) the baseline scored (status ok) that the candidate failed
    or lacks, with the candidate's reason: columns case_id, seed, reason, video."""
    ok = base.items.loc[base.items["status"] == "ok", ["case_id", "seed"]]
    c = cand.items[["case_id", "seed", "status", "error", "video_path"]]
    m = ok.merge(c, on=["case_id", "seed"], how="left")
    lost = m[m["status"] != "ok"]
    missing = lost["status"].isna()
    reason = lost["error"].where(lost["error"].notna() & (lost["error"] != ""), lost["status"])
    return pd.DataFrame({
        "case_id": lost["case_id"], "seed": lost["seed"].astype(int),
        "reason": reason.where(~missing, "not in the candidate run").astype(str),
        "video": lost["video_path"].fillna("").astype(str).where(~missing, ""),
    }).reset_index(drop=True)


def lost_lines(lost: pd.DataFrame, n_base: int, tolerance: int, most: int = 8) -> list[str]:
    """A heading ("lost 2 of 8 items ...") and one line per lost item (the first
    ``most``) with the candidate's reason, as written."""
    n = len(lost)
    lines = [f"lost {n} of {n_base} item(s) the baseline scored (failed or missing; max_lost {tolerance}):"]
    for r in lost.head(most).itertuples():
        lines.append(f"  {r.case_id}" + (f" seed {r.seed}" if r.seed else "") + f": {short_paths(r.reason)}")
    if n > most:
        lines.append(f"  ... and {n - most} more (--format json lists every one)")
    return lines


def short_paths(text: str, keep: int = 2) -> str:
    """``text`` with each absolute path cut to its last ``keep`` parts (".../night/clip1.avi"),
    so a line that must fit a terminal keeps the file's name, not its folders."""
    def cut(m):
        parts = m.group(0).split("/")
        return m.group(0) if len(parts) <= keep + 1 else ".../" + "/".join(parts[-keep:])
    return re.sub(r"(?<![\w.])/[^\s:'\"]+", cut, str(text))
