"""The physics world (import as ``vbench_lite.probes``).

A 2D world of coloured balls, boxes and levels with exact ground truth, rendered
anti-aliased at any size (10 world units across the frame; default 32 frames at
10 fps, as in the PhyWorld setup of Kang et al. 2024, arXiv:2411.02385).

- ``world``: ``SCENARIOS``, ``make_truth`` and ``sample_clip`` (the entry points)
- ``scenarios``: the eight scenarios, their ID/OOD parameter ranges and prompts
- ``scene``: scene description and the exact event-driven simulator
- ``render``: the vectorised renderer; ``truth``: ``ProbeTruth`` (one case's truth)
- ``parse``: reads a video back into per-frame object states
- ``perturb``: controlled physical errors (the ``simulator`` generator that renders
  them lives in ``vbench_lite.generators.simulator``)
- ``suites``: ``default``, ``probes-id``, ``probes-ood``, ``nightly``

The scores themselves live in ``vbench_lite.metrics.physics``.
"""
