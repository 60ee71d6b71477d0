"""An external 'generator' program for tests of the ``command`` generator and of
kill-and-resume: writes a moving-square clip to --out (.npz), optionally slowly,
optionally failing, and logs each call."""

import argparse
import sys
import time

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--out", required=True)
p.add_argument("--prompt", default="")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--frames", type=int, default=8)
p.add_argument("--size", type=int, default=32)
p.add_argument("--sleep", type=float, default=0.0)
p.add_argument("--log", default="")
p.add_argument("--mode", default="ok", choices=("ok", "fail", "nan", "hang", "noout"))
a = p.parse_args()
if a.log:
    with open(a.log, "a") as fh:
        fh.write(f"{a.out}\n")
time.sleep(a.sleep)
if a.mode == "fail" or "FAIL" in a.prompt:
    print("model exploded: CUDA out of memory (simulated)", file=sys.stderr)
    sys.exit(3)
if a.mode == "hang":
    time.sleep(60)
if a.mode == "noout":
    sys.exit(0)
t, s = a.frames, a.size
frames = np.zeros((t, s, s, 3), np.float32)
x0 = 2 + a.seed % 5
for i in range(t):
    frames[i, 10:18, x0 + i : x0 + i + 8] = [1.0, 0.2, 0.2]
if a.mode == "nan" or "NAN" in a.prompt:
    frames[1, 0, 0, 0] = np.nan
np.savez(a.out, frames=frames, fps=np.float64(10.0))
