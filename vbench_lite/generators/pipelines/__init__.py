"""Per-family adapters over diffusers video pipelines (``-g svd``, ``-g cogvideox``, ...).

``base`` holds the shared adapter (``Family``, ``Knob``, ``PipelineGenerator``); each
family module declares one ``Family`` and its generator class. Nothing here imports
diffusers at import time.
"""
