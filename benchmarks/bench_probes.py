"""Render and parse speed of the physics probes, in frames per second.

Run: ``python benchmarks/bench_probes.py [--repeats 5]``. Renders every scenario
(ID, seeds 0..3) at 64x64 and 256x256 with the vectorised renderer and with a
straightforward baseline (per-frame, per-object ``cv2.circle``/``cv2.rectangle``
with ``LINE_AA`` at the same positions), and parses the renders back. Reports the
median over repeats.
"""

from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np

from vbench_lite.probes.parse import parse_video
from vbench_lite.probes.render import BACKGROUND
from vbench_lite.probes.world import SCENARIOS, make_truth

SUBPIXEL = 4  # cv2 drawing with 4 fractional bits, so the baseline is sub-pixel accurate too


def render_cv2(truth) -> np.ndarray:
    """Baseline: draw each frame and object with OpenCV, one call per shape per frame."""
    s, tr, scale = truth.scene, truth.traj, truth.scale
    k = 1 << SUBPIXEL

    def px(x, y):
        return int(round(x * scale * k)), int(round((s.height_w - y) * scale * k))

    def box(img, b, c):
        cv2.rectangle(img, px(b[0], b[3]), px(b[2], b[1]), c, -1, cv2.LINE_AA, SUBPIXEL)

    out = np.empty((len(tr.times), truth.height, truth.width, 3), np.uint8)
    for t in range(len(tr.times)):
        img = np.full((truth.height, truth.width, 3), BACKGROUND, np.uint8)
        for m in np.nonzero(~s.rect_over)[0]:
            box(img, s.rects[m], tuple(map(int, s.rect_color[m])))
        for l in range(tr.levels.shape[1]):
            box(img, [s.level_x0[l], s.level_base[l], s.level_x1[l], s.level_base[l] + tr.levels[t, l]],
                tuple(map(int, s.level_color[l])))
        for i in range(tr.ball_pos.shape[1]):
            if not tr.ball_hidden[t, i]:
                cv2.circle(img, px(*tr.ball_pos[t, i]), int(round(tr.ball_radius[t, i] * scale * k)),
                           tuple(map(int, tr.ball_color[t, i])), -1, cv2.LINE_AA, SUBPIXEL)
        for m in np.nonzero(s.rect_over)[0]:
            box(img, s.rects[m], tuple(map(int, s.rect_color[m])))
        out[t] = img
    return out


def _fps(fn, truths, repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        t0, n = time.perf_counter(), 0
        for tr in truths:
            n += len(fn(tr))
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=4)
    args = ap.parse_args(argv)
    print(f"{'size':>8} {'render (numpy)':>15} {'render (cv2 loop)':>18} {'sim+render':>11} {'parse':>8}   frames/s, median of {args.repeats}")
    for size in (64, 256):
        truths = [make_truth(sc, "id", seed, size, size) for sc in SCENARIOS for seed in range(args.seeds)]
        for tr in truths:
            tr.traj  # simulate once up front: the render columns time drawing only
        fresh = [(sc, seed) for sc in SCENARIOS for seed in range(args.seeds)]
        renders = {id(tr): tr.render() for tr in truths}
        r_np = _fps(lambda tr: tr.render(), truths, args.repeats)
        r_cv = _fps(render_cv2, truths, args.repeats)
        r_all = _fps(lambda key: make_truth(key[0], "id", key[1], size, size).render(), fresh, args.repeats)
        p = _fps(lambda tr: (parse_video(renders[id(tr)], tr), renders[id(tr)])[1], truths,
                 max(1, args.repeats // 2))
        print(f"{size:>4}x{size:<3} {r_np:>15.0f} {r_cv:>18.0f} {r_all:>11.0f} {p:>8.0f}")


if __name__ == "__main__":
    main()
