"""A small learned text encoder for the short prompts of the physics world.

Prompts such as "a red ball is thrown at 3.4 units per second" have a tiny vocabulary,
so there is no tokenizer file: each lower-cased word or number is hashed (CRC-32, stable across runs and
platforms) into one of ``vocab - 2`` buckets. Id 0 is padding; id 1 is reserved.
One transformer layer mixes the words, a masked mean pools them into a single
vector that joins the flow-time embedding in the adaLN conditioning of the DiT.
An empty prompt (or a dropped one, for classifier-free guidance) maps to a
learned "null" vector.
"""

from __future__ import annotations

import re
import zlib

import torch
from torch import nn

PAD_ID = 0
FIRST_WORD_ID = 2  # 0 = pad, 1 = reserved
# words, and numbers kept whole ("1.4" is one token: the world's prompts state speeds)
_WORD = re.compile(r"[a-z]+|\d+(?:\.\d+)?")


def tokenize(prompts: list[str], length: int, vocab: int) -> torch.Tensor:
    """Hash words into ids. Returns int64 ``(B, length)``; longer prompts are cut."""
    out = torch.full((len(prompts), length), PAD_ID, dtype=torch.long)  # (B, L)
    for i, prompt in enumerate(prompts):
        words = _WORD.findall(prompt.lower())[:length]
        for j, word in enumerate(words):
            out[i, j] = FIRST_WORD_ID + zlib.crc32(word.encode("utf-8")) % (vocab - FIRST_WORD_ID)
    return out


class TextEncoder(nn.Module):
    """Token ids ``(B, L)`` -> one vector per prompt ``(B, dim)``."""

    def __init__(self, vocab: int, length: int, dim: int, heads: int):
        super().__init__()
        self.vocab, self.length = vocab, length
        self.embed = nn.Embedding(vocab, dim, padding_idx=PAD_ID)
        self.pos = nn.Parameter(torch.zeros(1, length, dim))
        # one layer is enough to tell "ball falls" from "ball rolls" word order aside
        self.layer = nn.TransformerEncoderLayer(
            dim, heads, dim_feedforward=2 * dim, dropout=0.0, batch_first=True, norm_first=True,
        )
        self.null = nn.Parameter(torch.zeros(dim))  # the "no prompt" vector
        nn.init.normal_(self.embed.weight, std=0.02)
        nn.init.normal_(self.pos, std=0.02)

    def forward(self, ids: torch.Tensor, drop: torch.Tensor | None = None) -> torch.Tensor:
        """``ids`` int64 ``(B, L)``; ``drop`` bool ``(B,)``: True -> null vector."""
        pad = ids == PAD_ID  # (B, L)
        empty = pad.all(dim=1)  # (B,)
        # an all-pad row would make attention softmax over nothing; give it one token
        safe_pad = pad.clone()
        safe_pad[empty, 0] = False
        h = self.embed(ids) + self.pos[:, : ids.shape[1]]  # (B, L, D)
        h = self.layer(h, src_key_padding_mask=safe_pad)  # (B, L, D)
        keep = (~safe_pad).unsqueeze(-1).to(h.dtype)  # (B, L, 1)
        pooled = (h * keep).sum(1) / keep.sum(1)  # (B, D)
        use_null = empty if drop is None else (empty | drop)
        return torch.where(use_null.unsqueeze(-1), self.null.to(pooled.dtype).expand_as(pooled), pooled)
