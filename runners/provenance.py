"""Provenance recorded with every run: versions, git revision, host."""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import vbench_lite


@functools.lru_cache(maxsize=1)
def git_revision() -> str:
    """The git revision of the vbench-lite checkout, or "" when not in a checkout."""
    here = Path(vbench_lite.__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        rev = out.stdout.strip()
        if rev:
            dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                                   capture_output=True, text=True, timeout=5).stdout.strip()
            return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return ""


def provenance(**extra) -> dict:
    import numpy

    info = {
        "package_version": vbench_lite.__version__,
        "git_rev": git_revision(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "host": platform.node(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "argv": sys.argv[1:],
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        info["torch"] = torch.__version__
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else ""
    info.update(extra)
    return info
