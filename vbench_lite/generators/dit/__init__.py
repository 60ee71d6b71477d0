"""The reference DiT: a small spacetime-patch diffusion transformer trained with flow
matching on the physics world, shipped as the ``reference-dit`` generator.

- ``model``: the network (``DiT``, ``DiTConfig``, ``Conditioning``)
- ``text_encoder``: the small learned prompt encoder and its word-hashing tokenizer
- ``data``: pixel conversions, the motion-strength measure, training conditioning
  and clip sources
- ``flow_matching``: the loss, the Euler/Heun samplers and the windowed rollout
- ``windows``: rollout window geometry without torch (window starts, seam pairs)
- ``generator``: ``ReferenceDiTGenerator`` and the shipped checkpoint path ``SHIPPED``
- ``train``: the training script,
  ``python -m vbench_lite.generators.dit.train --config CONFIG.json --out DIR``

Data: ``configs/`` (training configs; the shipped checkpoint came from
``configs/cpu.json``; per-scenario stages from ``configs/cpu_specialist.json`` and, the latest,
``configs/cpu_specialist_anneal.json``) and
``weights/`` (the shipped checkpoint ``reference_dit.safetensors``, its ``.json`` config
and training logs; ``weights/scenarios/<scenario>.safetensors``: one model per probe
scenario, used for the cases of that scenario -- the generator's ``specialists`` setting).

Importing this package is cheap; the submodules other than ``windows`` import torch.
"""
