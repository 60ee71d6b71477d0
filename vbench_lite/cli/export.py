"""``vbench-lite export``: write a suite's cases for a pipeline outside vbench-lite.

For every case it writes the conditioning frames as lossless PNG
(``cases/<case_id>/cond_000.png`` ...) and the prompt (``cases/<case_id>/prompt.txt``);
then a manifest with one row per (case, seed) -- ``manifest.csv`` and
``manifest.json`` -- naming the video the pipeline should write:
``videos/<case_id>__s<seed>.<ext>``, the folder generator's naming rule. Scoring
those videos is then an ordinary run::

    vbench-lite run -g folder --set root=OUT/videos --set height=H --set width=W \\
        --set frames=N --set fps=F -s SUITE --seeds S

(the exact command is printed and stored in ``manifest.json`` as ``read_back``).
``manifest.csv`` is also a folder-generator manifest (``--set manifest=OUT/manifest.csv``):
its ``path`` column is the video's path relative to it.

The geometry is the probe protocol (64x64, 32 frames at 10 fps, 4 conditioning
frames) unless a generator's declared one is asked for (``-g NAME --set ...``) or
given (``--height --width --frames --fps --cond-frames``, which win). A case's world
never depends on it (``probes.suites``): only how the world is observed.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import shlex
import sys
from pathlib import Path

from vbench_lite.case import RenderSpec
from vbench_lite.errors import UserError

MAX_SIDE = 8192  # pixels a side: more is a typo, not a video model
MAX_FPS = 1000.0
VIDEO_EXTS = ("mp4", "mkv", "webm", "mov", "avi", "gif", "npz", "npy")
CSV_FIELDS = ["case_id", "seed", "path", "prompt", "group", "split", "tests", "frames", "height", "width", "fps",
              "cond_frames", "cond_paths", "prompt_path"]


def register(sub) -> None:
    p = sub.add_parser("export", help="write a suite's conditioning frames, prompts and a manifest for an "
                       "outside pipeline", description="Write every case of the suites -- conditioning frames "
                       "(PNG), prompt, and a manifest naming the video to make per case and seed -- so a "
                       "pipeline outside vbench-lite can generate them; `run -g folder` scores the result.")
    p.add_argument("-s", "--suite", action="append", required=True,
                   help="suite name or prompt-suite TOML (repeatable)")
    p.add_argument("--seeds", default="0", help="seeds, e.g. 0,1,2 or 0-4 (default: 0)")
    p.add_argument("--out", type=Path, required=True, help="output folder (created; must be empty unless --force)")
    p.add_argument("--force", action="store_true", help="write into a folder that is not empty (files of the same "
                   "name are replaced, others are left alone)")
    p.add_argument("-g", "--generator", help="use the geometry this generator declares under --set")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="generator setting, with -g (repeatable)")
    p.add_argument("--height", type=int, help="frame height in pixels")
    p.add_argument("--width", type=int, help="frame width in pixels")
    p.add_argument("--frames", type=int, help="frames per video")
    p.add_argument("--fps", type=float, help="frames per second")
    p.add_argument("--cond-frames", type=int, help="conditioning frames per case (0: prompt only)")
    p.add_argument("--ext", default="mp4", choices=VIDEO_EXTS,
                   help="file type the manifest asks the pipeline to write (default: mp4)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="stdout format")
    p.set_defaults(func=cmd_export)


def export_spec(args) -> RenderSpec:
    """The geometry to export at: the protocol, or ``-g``'s declaration, with the
    explicit flags on top; every value checked."""
    from vbench_lite.case import PROTOCOL
    from vbench_lite.io import MAX_FRAMES_ENV, max_frames

    if args.set and not args.generator:
        raise UserError("--set needs -g GENERATOR (whose geometry to export at)")
    spec = PROTOCOL
    if args.generator:
        from vbench_lite.generators import create_generator
        from vbench_lite.runners.plan import parse_assignments

        gen = create_generator(args.generator)
        spec = gen.capabilities_for(gen.resolve_settings(parse_assignments(args.set))).render_spec()
    given = {"height": args.height, "width": args.width, "num_frames": args.frames, "fps": args.fps,
             "cond_frames": args.cond_frames}
    spec = dataclasses.replace(spec, **{k: v for k, v in given.items() if v is not None})
    for key, flag in (("height", "--height"), ("width", "--width")):
        if not 1 <= getattr(spec, key) <= MAX_SIDE:
            raise UserError(f"{flag} {getattr(spec, key)}: give 1..{MAX_SIDE} pixels")
    if spec.num_frames < 1:
        raise UserError(f"--frames {spec.num_frames}: give at least 1 frame")
    if 0 < max_frames() < spec.num_frames:
        raise UserError(f"--frames {spec.num_frames} is over the budget of {max_frames()} frames per video; "
                        f"raise {MAX_FRAMES_ENV} or export fewer frames")
    if not (math.isfinite(spec.fps) and 0 < spec.fps <= MAX_FPS):
        raise UserError(f"--fps {spec.fps}: give frames per second in (0, {MAX_FPS:g}]")
    if not 0 <= spec.cond_frames <= spec.num_frames:
        raise UserError(f"--cond-frames {spec.cond_frames}: give 0..{spec.num_frames} (the frame count)")
    return dataclasses.replace(spec, fps=float(spec.fps))


def check_out(out: Path, force: bool) -> None:
    """``out`` is a folder that does not exist, is empty, or ``--force`` was given."""
    from vbench_lite.io import check_folder_path, shown

    check_folder_path(out, f"--out {shown(out)}")
    if out.is_dir() and not force and any(out.iterdir()):
        raise UserError(f"--out {shown(out)} is not empty; give an empty or new folder, or --force to write into it")


def read_back_command(out: Path, suites: list[str], seeds: list[int], spec: RenderSpec) -> str:
    """The ``vbench-lite run`` that scores the pipeline's videos as these cases."""
    fps = f"{spec.fps:g}"
    parts = ["vbench-lite", "run", "-g", "folder", "--set", f"root={out / 'videos'}",
             "--set", f"height={spec.height}", "--set", f"width={spec.width}",
             "--set", f"frames={spec.num_frames}", "--set", f"fps={fps}"]
    for s in suites:
        parts += ["-s", s]
    parts += ["--seeds", ",".join(map(str, seeds))]
    return " ".join(shlex.quote(str(p)) for p in parts)


def export_cases(cases, seeds: list[int], spec: RenderSpec, out: Path, ext: str = "mp4") -> list[dict]:
    """Write every case's frames and prompt under ``out`` and return the manifest
    rows (one per case and seed; paths relative to ``out``)."""
    from vbench_lite.io import write_png

    (out / "videos").mkdir(parents=True, exist_ok=True)
    rows = []
    for case in cases:
        folder = out / "cases" / case.case_id
        folder.mkdir(parents=True, exist_ok=True)
        cond = [] if case.cond_frames is None else list(case.cond_frames)
        cond_paths = []
        for i, frame in enumerate(cond):
            name = f"cases/{case.case_id}/cond_{i:03d}.png"
            write_png(out / name, frame)
            cond_paths.append(name)
        (folder / "prompt.txt").write_text(case.prompt + "\n", encoding="utf-8")
        for seed in seeds:
            rows.append({
                "case_id": case.case_id, "seed": seed, "path": f"videos/{case.case_id}__s{seed}.{ext}",
                "prompt": case.prompt, "group": case.group, "split": case.split,
                "tests": case.params.get("tests", ""), "frames": case.num_frames, "height": case.height,
                "width": case.width, "fps": case.fps, "cond_frames": len(cond_paths), "cond_paths": cond_paths,
                "prompt_path": f"cases/{case.case_id}/prompt.txt", "suite": case.suite,
            })
    return rows


def write_manifests(out: Path, rows: list[dict], meta: dict) -> None:
    """``manifest.json`` (``meta`` and the rows) and ``manifest.csv`` (the rows;
    ``cond_paths`` joined with ``;``), written last: a folder with a manifest is complete."""
    with (out / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({**r, "cond_paths": ";".join(r["cond_paths"])})
    (out / "manifest.json").write_text(json.dumps({**meta, "items": rows}, indent=1) + "\n", encoding="utf-8")


def cmd_export(args) -> int:
    from vbench_lite.io import make_folder, shown
    from vbench_lite.runners.execute import build_cases
    from vbench_lite.runners.plan import RunSpec, parse_seeds

    seeds = parse_seeds(args.seeds)
    spec = export_spec(args)
    check_out(args.out, args.force)
    cases, versions = build_cases(RunSpec(generator="export", suites=list(args.suite), seeds=seeds), spec)
    out = make_folder(args.out, f"--out {shown(args.out)}")
    rows = export_cases(cases, seeds, spec, out, args.ext)
    read_back = read_back_command(out, list(args.suite), seeds, spec)
    meta = {
        "suites": versions, "seeds": seeds,
        "render": {"height": spec.height, "width": spec.width, "frames": spec.num_frames, "fps": spec.fps,
                   "cond_frames": spec.cond_frames},
        "naming": "videos/<case_id>__s<seed>." + args.ext, "read_back": read_back,
    }
    write_manifests(out, rows, meta)
    summary = {"out": shown(out), "cases": len(cases), "videos": len(rows), "manifest": shown(out / "manifest.json"),
               **meta}
    if args.format == "json":
        print(json.dumps(summary, indent=1))
    else:
        print(f"exported {len(cases)} cases x {len(seeds)} seed(s) of {', '.join(versions)} at "
              f"{spec.height}x{spec.width}, {spec.num_frames} frames at {spec.fps:g} fps, "
              f"{spec.cond_frames} conditioning frame(s), to {shown(out)}")
        print(f"manifest: {shown(out / 'manifest.csv')} (and manifest.json); write each row's video to its path")
        print(f"then score them: {read_back}")
    sys.stdout.flush()
    return 0
