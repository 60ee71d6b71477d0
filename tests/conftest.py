import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).parent
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


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "store" / "results.sqlite"


@pytest.fixture
def torch_one_thread():
    """One torch thread for the test: on a small oversubscribed machine more threads
    spin-wait and run several times slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
