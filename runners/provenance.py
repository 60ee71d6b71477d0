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


def comparability_record(run) -> dict:
    """What decides whether two runs can be judged against each other
    (``reports.comparable``), recorded with the run: the geometry a generator made
    (None for videos that are files: each has its own), the suites with their
    versions, the planned case ids, and each metric's identity with its options.
    ``run`` is a ``runners.execute.PreparedRun``."""
    from vbench_lite.io import partial_allowed

    file_backed = bool(run.cases) and run.generator.video_file(run.cases[0], run.settings) is not None
    from vbench_lite.runners.execute import metric_identity_options

    options = metric_identity_options(run.metrics)
    import json

    record = {
        "render": None if file_backed else dict(run.render.__dict__),
        "suite_versions": dict(run.suite_versions),
        "case_ids": sorted({c.case_id for c in run.cases}),
        "metric_ids": {m.name: {**m.identity(), "options": options.get(m.name, {})} for m in run.metrics},
        "allow_partial": partial_allowed(),
    }
    return json.loads(json.dumps(record, default=str))  # stored as JSON: identities may hold paths
