"""vbench-lite: temporal and physical consistency benchmark for video generators.

The repository's component folders install as subpackages of this namespace:

=====================  ==========================================================
folder in the repo     import as
=====================  ==========================================================
``vbench_lite/``       ``vbench_lite`` -- core types, registries, generators,
                       weights manager, results store, CLI
``probes/``            ``vbench_lite.probes`` -- physics world, simulator, parser
``metrics/``           ``vbench_lite.metrics`` -- pure metric functions + objects
``runners/``           ``vbench_lite.runners`` -- planning, execution, resume
``reports/``           ``vbench_lite.reports`` -- tables, statistics, plots, gate
=====================  ==========================================================

Always import ``vbench_lite.metrics...``, never ``metrics...``.
"""

__version__ = "0.1.0"

from vbench_lite.video import Video  # noqa: E402
from vbench_lite.case import Case  # noqa: E402

__all__ = ["Video", "Case", "__version__"]
