"""``vbench-lite pick``: sweep one knob on one image or prompt, keep the best clip.

Generates the same case (``--image`` and/or ``--prompt``) at every value of ``--sweep``
and every seed (``--seeds``, default 0-4; ``--seed N`` for one), scores motion, warping
error and flicker through the normal
runner and store (so it resumes and its runs can be reported later), prints a table,
draws the motion-vs-warping plot and writes the clip the rule chooses to ``--out``.
The rule is ``reports.pick.pick_setting``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import textwrap
from pathlib import Path

from vbench_lite.errors import UserError

PICK_METRICS = ["motion", "warping_error", "flicker"]
DEFAULT_SEEDS = "0-4"  # five seeds: the fewest that give a 95% interval (reports.stats.MIN_CI_UNITS)
OUT_SUFFIXES = (".mp4", ".npz")  # an mp4 to watch, or the lossless .npz the runner caches
CASE_SUITE = "pick"

DESCRIPTION = """\
Generate one case at every value of a knob and every seed (--seeds, default 0-4),
print each value's motion (motion_px), warping error and flicker with 95% intervals
over the seeds, say which values cannot be told apart, draw the motion-vs-warping
plot (the front joins only values that can) and write the clip the rule chooses
(at the first seed) to --out. --seed N: one seed, quick, no intervals.

The case: --image FILE (image-to-video: the image becomes the conditioning frame,
centre-cropped to the generator's aspect ratio, then resized to its resolution;
transparency over white) and/or --prompt TEXT (text-conditioned generators).

Rules (--rule):
  tolerance      (default) the most motion whose warping error stays within
                 --tolerance (relative, default 0.25) of the warping error of the
                 setting with the least motion
  stillest       the least motion
  most-motion    the most motion, whatever its warping error
  least-warping  the lowest warping error
Ties: equal motion -> lower warping error; equal error -> more motion; else the
first value given. A value whose clip failed or was not scored is left out (named).

Runs go through the normal runner and results store: re-running the same command
resumes, and `vbench-lite report RUN` shows each run in full.

Example:
  vbench-lite pick -g svd --set model=stabilityai/stable-video-diffusion-img2vid-xt \\
      --image product.png --sweep motion_bucket_id=50,127,200 --out product.mp4
"""


def register(sub) -> None:
    from vbench_lite.cli.run import add_cache_arguments, add_generator_arguments, add_store_arguments
    from vbench_lite.reports.pick import DEFAULT_TOLERANCE, RULES

    p = sub.add_parser("pick", help="sweep a knob on one image/prompt and keep the clip a rule chooses",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_generator_arguments(p)
    p.add_argument("--sweep", action="append", metavar="KEY=V1,V2",
                   help="the knob and its values, e.g. motion_bucket_id=50,127,200 (repeatable: a grid)")
    p.add_argument("--image", type=Path, help="conditioning image (PNG, JPEG, ...) for image-to-video")
    p.add_argument("--prompt", default="", help="text prompt for text-conditioned generators")
    p.add_argument("--seeds", default=DEFAULT_SEEDS, metavar="SEEDS",
                   help=f"seeds (default {DEFAULT_SEEDS}): each value is generated once per seed, motion and warping "
                   "error get 95%% intervals over the seeds (5 or more give one), and values that differ less than "
                   "those are called not distinguishable; the clip written is the chosen value's at the first seed")
    p.add_argument("--seed", type=int, default=None, help="one seed instead (quick, but no intervals)")
    p.add_argument("-o", "--out", type=Path, required=True,
                   help="where the chosen clip goes: .mp4 (to watch) or .npz (lossless frames)")
    p.add_argument("--plot", type=Path, help="motion-vs-warping plot (.png or .svg; default: "
                   "<out stem>_tradeoff.png beside --out)")
    p.add_argument("--rule", choices=list(RULES), default="tolerance", help="how to choose (default: tolerance)")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                   help=f"for --rule tolerance: relative slack on the stillest setting's warping error "
                   f"(default {DEFAULT_TOLERANCE:g} = within {DEFAULT_TOLERANCE:.0%}%)")
    add_store_arguments(p)
    add_cache_arguments(p)
    p.set_defaults(func=cmd_pick, workers=0)


# ------------------------------------------------------------------ checks


def check_arguments(args) -> None:
    """Everything that can be checked before a generator is loaded."""
    from vbench_lite.reports.pick import check_rule
    from vbench_lite.runners.plan import MAX_SEED

    if not args.sweep:
        raise UserError("pick needs the knob to sweep: --sweep KEY=V1,V2,... (e.g. --sweep motion_bucket_id=50,127,200)")
    if args.image is None and not args.prompt:
        raise UserError("pick needs something to generate from: --image FILE (image-to-video) and/or "
                        "--prompt TEXT (text-to-video)")
    if args.out.suffix.lower() not in OUT_SUFFIXES:
        raise UserError(f"--out {args.out}: give a file ending in {' or '.join(OUT_SUFFIXES)}")
    if args.out.is_dir():
        raise UserError(f"--out {args.out} is a folder; give a file such as {args.out / 'chosen.mp4'}")
    if args.plot is not None and args.plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise UserError(f"--plot {args.plot}: give a file ending in .png, .svg or .pdf")
    if args.seed is not None and not 0 <= args.seed <= MAX_SEED:
        raise UserError(f"--seed {args.seed}: give a whole number from 0 to {MAX_SEED}")
    from vbench_lite.runners.plan import parse_seeds

    args.seed_list = [args.seed] if args.seed is not None else parse_seeds(args.seeds)
    check_rule(args.rule, args.tolerance)
    from vbench_lite.io import check_folder_path

    check_folder_path(args.out.parent, f"--out {args.out}")
    if args.plot is not None:
        check_folder_path(args.plot.parent, f"--plot {args.plot}")


def load_image(path: Path):
    """The image as uint8 (H, W, 3) RGB; transparency composited over white."""
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    from vbench_lite.io import shown

    if not path.is_file():
        raise UserError(f"--image {shown(path)}: " + ("is a folder; give an image file" if path.is_dir()
                                                      else "no such file"))
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "P") or "transparency" in im.info:
                im = im.convert("RGBA")
                white = Image.new("RGBA", im.size, (255, 255, 255, 255))
                im = Image.alpha_composite(white, im)
            return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise UserError(f"--image {shown(path)} cannot be read as an image ({exc})") from None


def make_case(render, *, image=None, image_digest: str = "", prompt: str = ""):
    """The one case of the pick at ``render`` (the generator's RenderSpec): the image,
    centre-cropped to the aspect ratio and resized (``images.fit_image``), is its
    conditioning frame. Its id names the image's content, so another image is another
    run and the same one resumes."""
    from vbench_lite.case import Case
    from vbench_lite.images import fit_image  # the one fitting rule, shared with the image suites

    cond = None if image is None else fit_image(image, render.height, render.width)[None]  # (1, H, W, 3)
    case_id = f"{CASE_SUITE}-img-{image_digest[:12]}" if image is not None else f"{CASE_SUITE}-text"
    return Case(case_id=case_id, suite=CASE_SUITE, prompt=prompt, num_frames=render.num_frames,
                height=render.height, width=render.width, fps=render.fps, cond_frames=cond)


def _check_conditioning(gen, settings, caps, args) -> None:
    """The generator can use what was given: an image needs conditioning frames, a
    prompt alone needs text."""
    where = f"generator {gen.name!r}" + (f" (mode={settings['mode']})" if "mode" in settings else "")
    if args.image is not None and caps.cond_frames < 1:
        family = getattr(gen, "family", None)
        hint = "; or --set mode=i2v" if family is not None and "i2v" in family.pipelines else ""
        raise UserError(f"{where} takes no conditioning image; drop --image and give --prompt{hint}")
    if args.image is None and not caps.text:
        raise UserError(f"{where} generates from an image, not text: give --image FILE")
    if args.prompt and not caps.text and not getattr(args, "_warned_prompt", False):
        args._warned_prompt = True
        print(f"vbench-lite: {where} takes no prompt; --prompt is ignored", file=sys.stderr)


def plan_pick(args) -> list:
    """One prepared run per sweep value, each with the one case built at that value's
    render spec, all checked before anything is recorded."""
    from vbench_lite.cli.run import check_paths, default_generator
    from vbench_lite.generators import create_generator
    from vbench_lite.runners.execute import prepare
    from vbench_lite.runners.plan import RunSpec, expand, parse_assignments, parse_metric_options, parse_sweep

    check_arguments(args)
    check_paths(args)
    image = digest = None
    if args.image is not None:
        image = load_image(args.image)
        digest = hashlib.sha256(image.tobytes() + repr(image.shape).encode()).hexdigest()
    base = RunSpec(generator=args.generator or default_generator(), settings=parse_assignments(args.set),
                   suites=[CASE_SUITE], seeds=list(args.seed_list), metrics=list(PICK_METRICS),
                   metric_options=parse_metric_options(args.metric_set), name=args.name)
    specs = expand(base, parse_sweep(args.sweep))
    seeds = args.seed_list[0] if len(args.seed_list) == 1 else args.seed_list  # one seed: earlier versions' tag
    tag = hashlib.sha256(json.dumps([specs[0].sweep, digest, args.prompt, seeds]).encode()).hexdigest()[:8]
    # one generator for every value: a loaded model (a diffusers pipeline) is reused when
    # only a call argument changes, and never held twice in memory
    gen = create_generator(base.generator)

    def make_cases(generator, settings, caps, render):  # the one case, at the render spec prepare resolved
        _check_conditioning(generator, settings, caps, args)
        return [make_case(render, image=image, image_digest=digest or "", prompt=args.prompt)]

    runs = []
    for spec in specs:
        spec.sweep = f"pick-{tag}"
        runs.append(prepare(spec, generator=gen, make_cases=make_cases))
    return runs


# ------------------------------------------------------------------ results


def _value(data, output: str) -> float:
    rows = data.scores[data.scores["metric"] == output]["value"]
    return float(rows.mean()) if len(rows) else math.nan


def _missing(data) -> str:
    """Why a run has no motion or warping score: its item failed, or a metric skipped."""
    from vbench_lite.cli.output import clip

    failed = data.items[data.items["status"] == "failed"]
    if len(failed):
        return clip(f"the clip failed: {failed['error'].iloc[0]}", 90)
    if data.items.empty:
        return "no clip was made"
    sk = data.skips[data.skips["metric"].isin(["motion", "warping_error"])]
    if len(sk):
        return clip(f"{sk['metric'].iloc[0]} skipped: {sk['reason'].iloc[0]}", 90)
    return "not scored"


def candidates_of(runs_data, labels):
    from vbench_lite.reports.pick import Candidate

    out = []
    for data, label in zip(runs_data, labels):
        c = Candidate(label, _value(data, "motion_px"), _value(data, "warping_error"))
        out.append(c if c.usable else Candidate(c.label, c.motion, c.warping, _missing(data)))
    return out


def write_clip(path: Path, data) -> tuple[Path, object]:
    """The chosen run's clip (from the lossless cache) to ``path`` (.mp4 or .npz)."""
    from vbench_lite.io import make_folder, read_video, write_cache, write_preview

    ok = data.items[data.items["status"] == "ok"]
    video = read_video(ok["video_path"].iloc[0])
    make_folder(path.parent, f"--out {path}")
    if path.suffix.lower() == ".npz":
        write_cache(video, path, compress=True)
    else:
        write_preview(video, path)
    return path, video


def cmd_pick(args) -> int:
    from vbench_lite.cli.output import WIDTH, fixed_width
    from vbench_lite.cli.run import execute_runs
    from vbench_lite.reports import tables
    from vbench_lite.reports.data import load_run, open_store
    from vbench_lite.reports.pick import pick_figure, pick_setting
    from vbench_lite.reports.plots import DPI
    from vbench_lite.store import default_store

    runs = plan_pick(args)
    summaries, rank = execute_runs(runs, args)
    if rank != 0:
        return 0
    store_path = Path(args.store or default_store())
    with open_store(store_path) as store:
        datas = [load_run(store, s.run_id) for s in summaries]
    keys = sorted({k for spec in (r.spec for r in runs) for k in spec.settings} & set(_sweep_keys(args)))
    labels = [", ".join(f"{k}={r.spec.settings[k]}" for k in keys) for r in runs]
    cands = candidates_of(datas, labels)
    pick = pick_setting(cands, args.rule, args.tolerance)
    chosen = datas[pick.index]
    out, video = write_clip(args.out, chosen)
    from vbench_lite.cli.sweep_lines import caution_lines
    from vbench_lite.reports.front import sweep_fronts

    several = len(args.seed_list) > 1
    fronts = sweep_fronts(datas, labels) if several else {}  # intervals over seeds need several
    front = fronts.get("warping_error")

    fig = pick_figure([tables.summary_table(d) for d in datas], labels, pick, fronts=fronts)
    plot = None
    if fig is not None:
        plot = args.plot or args.out.with_name(f"{args.out.stem}_tradeoff.png")
        plot.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(plot, dpi=DPI)

    flicker = [_value(d, "flicker") for d in datas]
    if args.format == "json":
        print(json.dumps({
            "generator": runs[0].spec.generator, "seed": args.seed_list[0], "seeds": args.seed_list,
            "rule": args.rule,
            "tolerance": args.tolerance if args.rule == "tolerance" else None, "limit": pick.limit,
            "settings": [{"label": c.label, "settings": {k: r.spec.settings[k] for k in keys},
                          "run_id": s.run_id, "motion_px": _num_or_none(c.motion),
                          "warping_error": _num_or_none(c.warping), "flicker": _num_or_none(f),
                          "missing": c.missing or None, "chosen": i == pick.index,
                          **(_intervals(front, i, labels) if front is not None else {})}
                         for i, (c, r, s, f) in enumerate(zip(cands, runs, summaries, flicker))],
            "chosen": cands[pick.index].label, "reason": list(pick.lines) + caution_lines(pick, front, labels),
            "out": str(out),
            "plot": None if plot is None else str(plot), "store": str(store_path),
        }, indent=1))
        return 0

    from vbench_lite.reports.tables import fmt
    import pandas as pd

    first = runs[0]
    given = (f"image {args.image.name}" if args.image is not None else "") + \
        (" and " if args.image is not None and args.prompt else "") + \
        (f"prompt {args.prompt[:40]!r}" if args.prompt else "")
    say = lambda text: print(textwrap.fill(text, width=WIDTH, subsequent_indent="  ", break_long_words=False,
                                           break_on_hyphens=False))
    seed_text = f"seed {args.seed_list[0]}" if not several else f"seeds {args.seeds}"
    say(f"pick: {first.spec.generator}, {len(runs)} settings of {', '.join(keys)}, {seed_text}, {given} "
        f"-> {first.render.num_frames} frames {first.render.height}x{first.render.width}")
    table = pd.DataFrame({"#": [str(i) for i in range(1, len(runs) + 1)]})
    for k in keys:
        table[k] = [str(r.spec.settings[k]) for r in runs]
    table["motion_px"] = [fmt(c.motion) for c in cands]
    table["warping_error"] = [fmt(c.warping) for c in cands]
    if front is not None:  # means over the seeds with their intervals
        from vbench_lite.cli.sweep_lines import cell

        table["motion_px"] = [cell(front.x[i], *front.x_ci[i]) for i in range(len(cands))]
        table["warping_error"] = [cell(front.y[i], *front.y_ci[i]) for i in range(len(cands))]
    table["flicker"] = [fmt(f) for f in flicker]
    table["chosen"] = ["<- chosen" if i == pick.index else (c.missing and "no score") or ""
                       for i, c in enumerate(cands)]
    for line in fixed_width(table, width=WIDTH, right={"motion_px", "warping_error", "flicker"}, shrink=keys):
        print(line.rstrip())
    say("motion_px: mean optical-flow speed (px/frame); warping_error and flicker: lower is better."
        + (" [95% interval over seeds]" if several else ""))
    for line in (front.sentences() if front is not None else []) + list(pick.lines):
        say(line)
    for line in caution_lines(pick, front, labels):
        say(line)
    if not several:
        say(f"one seed: no intervals; --seeds {DEFAULT_SEEDS} (the default) tells which values differ beyond "
            "their seed-to-seed spread.")
    say(f"wrote: {out} ({cands[pick.index].label}; {video.num_frames} frames {video.height}x{video.width} "
        f"at {video.fps:g} fps)")
    say(f"plot: {plot}" if plot is not None else "plot: none (no motion scores to draw)")
    say(f"runs: {', '.join(s.run_id for s in summaries)} in {store_path} (re-running resumes; "
        "`vbench-lite report RUN` shows one in full)")
    return 0


def _sweep_keys(args) -> list[str]:
    from vbench_lite.runners.plan import parse_sweep

    return list(parse_sweep(args.sweep))


def _intervals(front, i: int, labels) -> dict:
    """A setting's 95% intervals over the seeds and the settings it cannot be told apart from."""
    lo_hi = lambda a: [_num_or_none(float(v)) for v in a]
    return {"motion_px_interval": lo_hi(front.x_ci[i]), "warping_error_interval": lo_hi(front.y_ci[i]),
            "not_distinguishable_from": [labels[j] for j in range(len(labels))
                                         if j != i and not front.distinct[i, j]]}


def _num_or_none(x: float):
    return x if isinstance(x, float) and math.isfinite(x) else None
