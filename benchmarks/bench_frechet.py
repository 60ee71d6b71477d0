"""Speed and agreement of our Fréchet distance against the ``scipy.linalg.sqrtm`` formula.

    python benchmarks/bench_frechet.py [--dim 2048] [--samples 2048] [--repeats 3]

Both run in the same process on the same covariances (built from ``--samples`` random
feature rows of ``--dim`` dimensions, like a FID/FVD set); prints the median wall
time of each, the speed-up, and the relative difference of the two distances.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
import scipy.linalg

from vbench_lite.metrics.frechet import frechet_distance


def sqrtm_formula(mu1, s1, mu2, s2) -> float:
    covmean = np.real(scipy.linalg.sqrtm(s1 @ s2))
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dim", type=int, default=2048)
    ap.add_argument("--samples", type=int, default=2048)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    d, n = args.dim, args.samples
    mix = rng.normal(size=(d, d)) / np.sqrt(d)  # correlated features
    a = rng.normal(size=(n, d)) @ mix  # (N, D)
    b = rng.normal(size=(n, d)) @ mix * 1.1 + 0.05  # (N, D)
    mu1, s1 = a.mean(0), np.cov(a, rowvar=False)
    mu2, s2 = b.mean(0), np.cov(b, rowvar=False)

    def timed(fn):
        times, value = [], None
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            value = fn(mu1, s1, mu2, s2)
            times.append(time.perf_counter() - t0)
        return statistics.median(times), value

    t_ours, v_ours = timed(frechet_distance)
    t_ref, v_ref = timed(sqrtm_formula)
    print(f"machine: {platform.machine()} {platform.processor() or ''} cpus={__import__('os').cpu_count()}")
    print(f"d={d} n={n} repeats={args.repeats}")
    print(f"eigh (ours):   median {t_ours:.3f} s  value {v_ours:.9g}")
    print(f"scipy sqrtm:   median {t_ref:.3f} s  value {v_ref:.9g}")
    print(f"speed-up {t_ref / t_ours:.1f}x, relative difference {abs(v_ours - v_ref) / abs(v_ref):.2e}")


if __name__ == "__main__":
    main()
