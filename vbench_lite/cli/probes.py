"""``vbench-lite probes render|floor``: look at a physics probe; print the parse floor."""

from __future__ import annotations

import json
import math
from pathlib import Path

from vbench_lite.case import PROTOCOL


def register(sub) -> None:
    p = sub.add_parser("probes", help="physics probes: render a preview, print the parse floor",
                       description="Render a physics probe for a person to look at, or print the "
                       "parse floor (the simulator's own video scored by the physics metrics).")
    psub = p.add_subparsers(dest="probes_command", metavar="ACTION", required=True)

    r = psub.add_parser("render", help="write a PNG contact sheet and an mp4 (and GIF) preview")
    from vbench_lite.probes.scenarios import SCENARIOS

    r.add_argument("scenario", help=", ".join(SCENARIOS))
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--split", choices=("id", "ood"), default="id")
    r.add_argument("--size", type=int, default=PROTOCOL.height, help="frame height and width in pixels")
    r.add_argument("--frames", type=int, default=PROTOCOL.num_frames)
    r.add_argument("--fps", type=float, default=PROTOCOL.fps)
    r.add_argument("--perturb", default="none", help="none, speed, vanish, recolor, resize, drop")
    r.add_argument("--strength", type=float, default=0.0)
    r.add_argument("--out", default="probe-previews", help="output folder (created)")
    r.set_defaults(func=cmd_render)

    f = psub.add_parser("floor", help="print the parse floor table (mean per scenario and split)")
    f.add_argument("--suite", default="default", help="default, probes-id, probes-ood, nightly or memory")
    f.add_argument("--size", type=int, default=PROTOCOL.height)
    f.add_argument("--frames", type=int, default=PROTOCOL.num_frames)
    f.add_argument("--perturb", default="none", help="score a perturbed simulator instead")
    f.add_argument("--strength", type=float, default=0.0)
    f.add_argument("--seeds", default="0", help="seeds, e.g. 0,1,2 or 0-4 (default: 0)")
    f.add_argument("--store", type=Path, help="results store the floor run is written to (default: "
                   "$VBENCH_LITE_STORE or ./vbench_results/results.sqlite); a second call reads it back")
    f.add_argument("--format", choices=("table", "json"), default="table")
    f.set_defaults(func=cmd_floor)


def contact_sheet(frames, per_row: int = 8, min_tile: int = 128, fps: float | None = None):
    """uint8 (T, H, W, 3) -> one RGB image: every frame, ``per_row`` to a row, upscaled
    (nearest, never blurred) to >= ``min_tile`` px, each framed and numbered ("t=3",
    with its time in seconds when ``fps`` is given) -- the same labelled grid as the
    report's worst-case strips."""
    from vbench_lite.reports.previews import labelled_grid, scale_frames

    tiles = list(scale_frames(frames, min_side=min_tile, max_side=max(frames.shape[1:3] + (min_tile,))))
    names = [f"t={t}" + (f"  {t / fps:.1f} s" if fps else "") for t in range(len(tiles))]
    rows = [tiles[i:i + per_row] for i in range(0, len(tiles), per_row)]
    labels = [names[i:i + per_row] for i in range(0, len(names), per_row)]
    return labelled_grid(rows, labels)


def cmd_render(args) -> int:
    from vbench_lite.errors import UserError, VideoError
    from vbench_lite.io import write_png, write_preview
    from vbench_lite.video import Video
    from vbench_lite.probes.perturb import perturb
    from vbench_lite.probes.world import make_truth

    truth = make_truth(args.scenario, args.split, args.seed, args.size, args.size, args.frames, args.fps)
    frames = perturb(truth, args.perturb, args.strength).render()
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create output folder {out}: {exc.strerror}") from None
    stem = f"{args.scenario}-{args.split}-{args.seed:03d}"
    if args.perturb != "none":
        stem += f"-{args.perturb}{args.strength:g}"
    written = []
    # io's writers take any file name (UTF-8 or not; OpenCV's own cannot)
    written.append(write_png(out / f"{stem}.png", contact_sheet(frames, fps=args.fps)))
    zoom = max(1, math.ceil(256 / args.size))
    big = frames.repeat(zoom, axis=1).repeat(zoom, axis=2)  # nearest upscaling, never blurred
    try:
        written.append(write_preview(Video(big, args.fps), out / f"{stem}.mp4"))
    except VideoError:
        pass  # no mp4 encoder in this OpenCV build: the PNG and GIF still show the probe
    written += _gif(frames, out / f"{stem}.gif", args.fps, zoom)
    print(f"prompt: {truth.prompt}")
    print("params: " + json.dumps(truth.describe(), default=str))
    for path in written:
        print(f"wrote {path}")
    return 0


def _gif(frames, path: Path, fps: float, zoom: int) -> list[Path]:
    """An animated GIF through Pillow (installed with matplotlib); skipped without it."""
    try:
        from PIL import Image
    except ImportError:
        return []
    images = [Image.fromarray(f).resize((f.shape[1] * zoom, f.shape[0] * zoom), Image.NEAREST) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return [path]


def cmd_floor(args) -> int:
    """The floor is an ordinary run of the simulator oracle through the runner (the
    same run ``vbench-lite run`` scores beside a probe suite), read back from the store."""
    from vbench_lite.case import RenderSpec
    from vbench_lite.metrics.physics import PHYSICS_METRICS
    from vbench_lite.reports.data import load_run
    from vbench_lite.reports.tables import group_means
    from vbench_lite.runners.execute import execute, oracle_spec, prepare
    from vbench_lite.runners.plan import parse_seeds
    from vbench_lite.store import default_store, Store

    spec = oracle_spec([args.suite], parse_seeds(args.seeds), RenderSpec(args.size, args.size, args.frames),
                       list(PHYSICS_METRICS), perturb=args.perturb, strength=args.strength)
    run = prepare(spec)
    if not run.has_truth:
        from vbench_lite.errors import UserError
        raise UserError(f"suite {args.suite!r} has no physics probes; use default, probes-id, probes-ood, nightly or memory")
    with Store(args.store or default_store()) as store:
        summary = execute(run, store, progress=False)
        table = group_means(load_run(store, summary.run_id))
    if args.format == "json":
        print(json.dumps(json.loads(table.to_json(orient="records")), indent=2))
        return 0
    print(f"parse floor: suite {args.suite}, {args.size}x{args.size}, {args.frames} frames, "
          f"simulator perturb={args.perturb} strength={args.strength:g} (run {summary.run_id})")
    print(table.to_string(index=False, float_format=lambda x: f"{x:.4g}", na_rep="-"))
    return 0
