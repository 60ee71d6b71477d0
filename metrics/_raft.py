"""RAFT flow backend (torchvision architecture, weights from the weights manager).

Weights never come from torchvision's own downloader: ``resolve("raft-large")``
finds and checks the file (or raises ``BackboneUnavailable`` offline), and
``weights.load_state_dict`` reads it with ``torch.load(weights_only=True)``. Input
convention of torchvision's RAFT (``Raft_Large_Weights.transforms``): RGB scaled to
[-1, 1], sides divisible by 8.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from vbench_lite.errors import UserError

RAFT_ARCHS = {"raft-large": "raft_large", "raft-small": "raft_small"}
RAFT_BATCH = 8  # pairs per forward pass; bounds memory at 480x832 on CPU
RAFT_MIN_SIDE = 128  # 8 (encoder stride) * 2 * 2**(4 - 1) (torchvision's pyramid check)
RAFT_UPDATES = 12  # torchvision's default number of refinement iterations


def raft_unavailable_reason(backend: str, path=None) -> str | None:
    """None when RAFT weights for ``backend`` can be used, else why not (fast, no download)."""
    try:
        from vbench_lite.weights import availability
    except ImportError:  # weights manager not installed in this build
        return "weights manager (vbench_lite.weights) is not available"
    return availability(backend, path)


def load_raft_file(path, arch: str = "raft-large"):
    """A torchvision RAFT model in eval mode with the state dict at ``path``."""
    from torchvision.models import optical_flow

    from vbench_lite.weights import load_state_dict

    if arch not in RAFT_ARCHS:
        raise UserError(f"unknown RAFT variant {arch!r}; choose one of {', '.join(RAFT_ARCHS)}")
    model = getattr(optical_flow, RAFT_ARCHS[arch])(weights=None, progress=False)
    state = load_state_dict(path)  # a damaged file is a one-line UserError, not a torch traceback
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise UserError(f"{path} is not a torchvision {arch} state dict ({first}); "
                        f"use the file the weights manager names for {arch!r}") from None
    return model.eval()


@lru_cache(maxsize=2)
def load_raft(backend: str, path=None):
    """Resolve and load RAFT once per process (raises ``BackboneUnavailable`` offline)."""
    from vbench_lite.weights import resolve

    return load_raft_file(resolve(backend, path), backend)


def raft_flow_pairs(frames: np.ndarray, model, updates: int | None = None,
                    batch: int = RAFT_BATCH) -> tuple[np.ndarray, np.ndarray]:
    """Forward/backward RAFT flow of uint8 (T, h, w, 3) RGB frames, ``batch`` pairs per
    forward pass (forward and backward pairs share batches).

    Returns (fw, bw), each (T-1, h, w, 2) float32 in pixels of the given frames.
    Frames are edge-padded (multiple of 8, at least 128 px) and the flow cropped back.
    """
    import torch

    t, h, w, _ = frames.shape
    # sides a multiple of 8 and >= RAFT_MIN_SIDE (its 4-level correlation pyramid needs it)
    ph, pw = max(-h % 8, RAFT_MIN_SIDE - h), max(-w % 8, RAFT_MIN_SIDE - w)
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 127.5 - 1.0  # (T, 3, h, w)
    x = torch.nn.functional.pad(x, (0, pw, 0, ph), mode="replicate")  # (T, 3, h+ph, w+pw)
    src = torch.cat([x[:-1], x[1:]])  # (2P, 3, H8, W8): forward pairs, then backward
    dst = torch.cat([x[1:], x[:-1]])
    out = []
    with torch.inference_mode():
        for i in range(0, len(src), batch):
            flow = model(src[i:i + batch], dst[i:i + batch], num_flow_updates=updates or RAFT_UPDATES)[-1]
            out.append(flow[:, :, :h, :w])  # (B, 2, h, w)
    flows = torch.cat(out).permute(0, 2, 3, 1).contiguous().numpy().astype(np.float32)  # (2P, h, w, 2)
    return flows[: t - 1], flows[t - 1:]
