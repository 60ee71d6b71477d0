"""VBench's RAFT checkpoint (princeton-vl layout) on torchvision's RAFT-large.

VBench's dynamic_degree runs the RAFT that princeton-vl published, vendored as
``vbench/third_party/RAFT/core`` (vbench 0.1.5), with ``raft-things.pth`` (``small=False``:
hidden and context dims 128, 4 correlation levels of radius 4; ``raft.py:35-56``).
torchvision's ``raft_large`` is the same network under other module names (its
``Raft_Large_Weights.C_T_V1`` are these weights, ported): only the state-dict keys
differ. ``convert_princeton_state`` renames them; measured on a randomly initialised
VBench RAFT with randomised BatchNorm statistics, the converted torchvision model
gives bit-identical flow (max |diff| 0.0 after 20 updates, 136x200 input, CPU).

Key correspondence (princeton-vl ``extractor.py`` / ``update.py`` -> torchvision):
``fnet``/``cnet`` -> ``feature_encoder``/``context_encoder``; an encoder's ``conv1``,
``norm1``, ``conv2`` -> ``convnormrelu.0``, ``convnormrelu.1``, ``conv``; a residual
block's ``convK``/``normK`` -> ``convnormreluK.0``/``.1``, and its ``norm3`` is the
same BatchNorm as ``downsample.1`` (registered twice by the original), dropped;
``update_block.encoder.convc1/convc2/convf1/convf2/conv`` -> ``motion_encoder``'s
``convcorr1/convcorr2/convflow1/convflow2/conv`` (``.0``); ``gru.conv{z,r,q}{1,2}`` ->
``recurrent_block.convgru{1,2}.conv{z,r,q}``; ``update_block.mask.0/.2`` ->
``mask_predictor.convrelu.0``/``.conv``. A file already in torchvision's layout (the
ported ``raft_large_C_T_V1``) loads as it is.
"""

from __future__ import annotations

import re
from functools import lru_cache

from vbench_lite.errors import UserError

BACKBONE = "raft-things"

_MOTION_ENCODER = {"convc1": "convcorr1.0", "convc2": "convcorr2.0", "convf1": "convflow1.0",
                   "convf2": "convflow2.0", "conv": "conv.0"}


def _rename(key: str) -> str | None:
    """torchvision name of one princeton-vl RAFT key (None: a duplicate to drop)."""
    k = key.removeprefix("module.")  # VBench strips the DataParallel prefix too (dynamic_degree.py:36)
    k = re.sub(r"^fnet\.", "feature_encoder.", k)
    k = re.sub(r"^cnet\.", "context_encoder.", k)
    k = re.sub(r"^(\w+_encoder)\.conv1\.", r"\1.convnormrelu.0.", k)
    k = re.sub(r"^(\w+_encoder)\.norm1\.", r"\1.convnormrelu.1.", k)
    k = re.sub(r"^(\w+_encoder)\.conv2\.", r"\1.conv.", k)
    if re.search(r"layer\d\.\d\.norm3\.", k):
        return None  # the same module as downsample.1
    k = re.sub(r"(layer\d\.\d)\.conv(\d)\.", r"\1.convnormrelu\2.0.", k)
    k = re.sub(r"(layer\d\.\d)\.norm(\d)\.", r"\1.convnormrelu\2.1.", k)
    m = re.match(r"^update_block\.encoder\.(\w+)\.(weight|bias)$", k)
    if m and m.group(1) in _MOTION_ENCODER:
        return f"update_block.motion_encoder.{_MOTION_ENCODER[m.group(1)]}.{m.group(2)}"
    k = re.sub(r"^update_block\.gru\.conv([zrq])(\d)\.", r"update_block.recurrent_block.convgru\2.conv\1.", k)
    k = re.sub(r"^update_block\.mask\.0\.", "mask_predictor.convrelu.0.", k)
    return re.sub(r"^update_block\.mask\.2\.", "mask_predictor.conv.", k)


def convert_princeton_state(state: dict) -> dict:
    """A princeton-vl RAFT (large) state dict renamed for torchvision's ``raft_large``;
    a state dict already in torchvision's layout is returned unchanged."""
    keys = [k.removeprefix("module.") for k in state]
    if not any(k.startswith(("fnet.", "cnet.")) for k in keys):
        return dict(state)
    out = {}
    for key, value in state.items():
        new = _rename(key)
        if new is not None:
            out[new] = value
    return out


def load_raft_things_file(path):
    """torchvision ``raft_large`` in eval mode holding the RAFT weights at ``path``
    (princeton-vl ``raft-things.pth`` or torchvision layout)."""
    from torchvision.models import optical_flow

    from vbench_lite.weights import load_state_dict

    model = optical_flow.raft_large(weights=None, progress=False)
    state = convert_princeton_state(load_state_dict(path))
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise UserError(f"{path} is not a RAFT-large checkpoint ({first}); use VBench's raft-things.pth "
                        f"(princeton-vl RAFT, models.zip)") from None
    return model.eval()


@lru_cache(maxsize=2)
def load_raft_things(path: str, device: str = "cpu"):
    """``load_raft_things_file`` once per process and device."""
    return load_raft_things_file(path).to(device)
