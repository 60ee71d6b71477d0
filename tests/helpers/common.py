"""Small builders shared by the tests: a moving-square clip, a prompt suite file, the
fake external program's argv, and the console entry point in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1]
FAKE_PROGRAM = HERE / "helpers" / "fake_program.py"


def moving_square(t=8, size=32, seed=0) -> np.ndarray:
    """uint8 (T, S, S, 3): a red square moving right one pixel per frame."""
    frames = np.zeros((t, size, size, 3), np.uint8)
    x0 = 2 + seed % 5
    for i in range(t):
        frames[i, 10:18, x0 + i: x0 + i + 8] = (255, 50, 50)
    return frames


def write_prompt_suite(path: Path, prompts: dict[str, str], name="testsuite") -> Path:
    lines = [f'name = "{name}"', 'version = "1"']
    for cid, prompt in prompts.items():
        lines += ["[[case]]", f"id = {json.dumps(cid)}", f"prompt = {json.dumps(prompt)}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def command_argv(*extra: str) -> str:
    return json.dumps([sys.executable, str(FAKE_PROGRAM), "--out", "{out}", "--prompt", "{prompt}",
                       "--seed", "{seed}", *extra])


def run_cli(*args, env=None, timeout=300, cwd=None):
    """Run ``vbench-lite`` in a subprocess (the real console entry point)."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "vbench_lite", *map(str, args)], capture_output=True,
                          text=True, env=full_env, timeout=timeout, cwd=cwd)


def seeded_square(seed: int, t: int = 16, size: int = 32) -> np.ndarray:
    """uint8 (T, H, W, 3): a coloured square moving at a seeded velocity on grey."""
    rng = np.random.default_rng(seed)
    frames = np.full((t, size, size, 3), 30, np.uint8)
    pos, vel, colour = rng.uniform(4, 16, 2), rng.uniform(-1, 1, 2), rng.integers(80, 255, 3)
    for i in range(t):
        y, x = (pos + i * vel).astype(int)
        frames[i, max(y, 0):y + 8, max(x, 0):x + 8] = colour
    return frames


def blend_video(t=10, size=48):
    """Content morphs from texture A to texture B: identity drifts steadily."""
    rng = np.random.default_rng(0)
    a, b = (np.kron(rng.integers(0, 256, (6, 6, 3)), np.ones((8, 8, 1))) for _ in range(2))
    w = np.linspace(0, 1, t)[:, None, None, None]
    return ((1 - w) * a + w * b).astype(np.uint8)  # (T, 48, 48, 3)
