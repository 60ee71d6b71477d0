"""Sharding across processes with ``torchrun`` (torch.distributed), no home-made
cluster code: ``torchrun --nproc_per_node=4 -m vbench_lite run ...`` gives each
rank every world-th item; all ranks write one WAL store."""

from __future__ import annotations

import os


def rank_and_world() -> tuple[int, int]:
    """(rank, world size) from torchrun's environment; (0, 1) when not launched by it.
    Initialises a gloo process group (CPU-friendly) for the final barrier."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    return dist.get_rank(), dist.get_world_size()
