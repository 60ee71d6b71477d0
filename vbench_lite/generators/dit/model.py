"""The reference video model: a spacetime-patch diffusion transformer (DiT).

A clip ``(B, T, 3, H, W)`` in [-1, 1] is cut into ``(t_p, h_p, w_p)`` tubelets, one
token each (Latte / Open-Sora style spacetime patches, Peebles & Xie 2023 DiT blocks).
Every block runs **full 3D self-attention** over all spacetime tokens through
``torch.nn.functional.scaled_dot_product_attention`` (flash / memory-efficient
kernels on GPU) and is conditioned by adaLN-Zero on one vector ``c``:

    c = time_embed(t) + text_encoder(prompt) + motion_embed(speed)

Known leading frames (image-/frames-to-video) enter as extra input channels
(the clean frames, zeros elsewhere, plus a 0/1 "known" mask), so one network does
text-to-video (k = 0), image-to-video (k = 1) and frames-to-video (k <= cond_frames).

The network predicts the clean clip and returns the velocity derived from it
(x-prediction, see ``forward``). Initialisation (``_init_weights``) follows DiT:
adaLN modulation and the output projection start at zero, so every residual branch
is the identity and the initial model predicts x0 = 0 whatever the conditioning,
i.e. the conditioning-independent velocity x_t / t.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from vbench_lite.generators.dit.text_encoder import TextEncoder

IN_EXTRA = 4  # input channels besides the noisy clip: 3 known-frame RGB + 1 known mask
T_MIN = 0.05  # x-prediction divides by t; JiT clips the denominator at 0.05


@dataclass(frozen=True)
class DiTConfig:
    """``frames``: training window (frames); ``height``/``width``: pixels;
    ``patch``: tubelet (t_p, h_p, w_p); ``cond_frames``: the most known leading frames;
    ``motion_scale``: multiplies speed (px/frame) before its sinusoidal embedding."""

    frames: int = 16
    height: int = 32
    width: int = 32
    channels: int = 3
    # (4, 4, 4) rather than (2, 4, 4): half the tokens (256 per window) is what lets a
    # 2-core CPU train it in under an hour and sample 16 clips in about a minute; the
    # 4-frame tubelet also matches the 4 conditioning frames (the first token row is given)
    patch: tuple[int, int, int] = (4, 4, 4)
    dim: int = 192
    depth: int = 6
    heads: int = 6
    mlp_ratio: float = 4.0
    cond_frames: int = 4
    text_vocab: int = 1024
    text_len: int = 32  # the world's prompts run to ~30 words
    motion_scale: float = 100.0
    prediction: str = "x"  # what the network outputs: "x" (clean clip) or "v" (velocity)
    fps: float = 10.0
    preset: str = "custom"

    def __post_init__(self):
        pt, ph, pw = self.patch
        if self.frames % pt or self.height % ph or self.width % pw:
            raise ValueError(f"clip {self.frames}x{self.height}x{self.width} is not divisible by patch {self.patch}")
        if self.dim % self.heads:
            raise ValueError(f"dim {self.dim} is not divisible by heads {self.heads}")

    @property
    def grid(self) -> tuple[int, int, int]:
        """Tokens along (t, h, w)."""
        pt, ph, pw = self.patch
        return self.frames // pt, self.height // ph, self.width // pw

    @property
    def num_tokens(self) -> int:
        gt, gh, gw = self.grid
        return gt * gh * gw

    def to_dict(self) -> dict:
        d = asdict(self)
        d["patch"] = list(self.patch)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "DiTConfig":
        d = dict(d)
        d["patch"] = tuple(d.get("patch", cls.patch))
        return cls(**d)


# Named sizes (as DiT-S/B/L). Tokens per 16x32x32 window with (4,4,4) tubelets: 256.
# Shared 2-core CPU, batch 8, one torch thread: DiT-T ~0.3 s per training step.
PRESETS: dict[str, dict] = {
    "DiT-T": dict(dim=96, depth=4, heads=4),  # ~1.0M params: the size a CPU session can train
    "DiT-XS": dict(dim=128, depth=6, heads=4),  # ~2.2M
    "DiT-S": dict(dim=192, depth=6, heads=6),  # ~4.8M
    "DiT-B": dict(dim=384, depth=12, heads=6),  # ~34M, for a GPU run
}


def preset_config(name: str, **overrides) -> DiTConfig:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return replace(DiTConfig(), preset=name, **{**PRESETS[name], **overrides})


def sinusoidal(x: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal features of a scalar per row: ``(B,)`` -> ``(B, dim)`` (DiT's timestep embedding)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=x.device, dtype=torch.float32) / half)
    args = x.float()[:, None] * freqs[None]  # (B, half)
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)  # (B, dim)


class ScalarEmbed(nn.Module):
    """Scalar -> vector via sinusoidal features and an MLP (flow time, motion strength)."""

    def __init__(self, dim: int, freq_dim: int = 128):
        super().__init__()
        self.freq_dim = freq_dim
        self.mlp = nn.Sequential(nn.Linear(freq_dim, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(sinusoidal(x, self.freq_dim).to(self.mlp[0].weight.dtype))  # (B, D)


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)  # (B, N, D)


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = rearrange(self.qkv(x), "b n (three h d) -> three b h n d", three=3, h=self.heads)  # (B, h, N, d)
        out = F.scaled_dot_product_attention(q, k, v)  # (B, h, N, d), full spacetime attention
        return self.proj(rearrange(out, "b h n d -> b n (h d)"))  # (B, N, D)


class DiTBlock(nn.Module):
    """Pre-norm transformer block with adaLN-Zero (shift/scale/gate from ``c``)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, dim))
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        sh1, sc1, g1, sh2, sc2, g2 = self.ada(c).chunk(6, dim=-1)  # 6 x (B, D)
        x = x + g1.unsqueeze(1) * self.attn(modulate(self.norm1(x), sh1, sc1))  # (B, N, D)
        x = x + g2.unsqueeze(1) * self.mlp(modulate(self.norm2(x), sh2, sc2))  # (B, N, D)
        return x


class FinalLayer(nn.Module):
    def __init__(self, dim: int, patch_dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(dim, 2 * dim))
        self.linear = nn.Linear(dim, patch_dim)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shift, scale = self.ada(c).chunk(2, dim=-1)  # 2 x (B, D)
        return self.linear(modulate(self.norm(x), shift, scale))  # (B, N, P)


def patchify(x: torch.Tensor, patch: tuple[int, int, int]) -> torch.Tensor:
    """``(B, T, C, H, W)`` -> tokens ``(B, N, t_p*h_p*w_p*C)``, N ordered (t, h, w)."""
    pt, ph, pw = patch
    return rearrange(x, "b (t pt) c (h ph) (w pw) -> b (t h w) (pt ph pw c)", pt=pt, ph=ph, pw=pw)


def unpatchify(tokens: torch.Tensor, patch: tuple[int, int, int], grid: tuple[int, int, int]) -> torch.Tensor:
    """Inverse of ``patchify``: ``(B, N, P)`` -> ``(B, T, C, H, W)``."""
    pt, ph, pw = patch
    gt, gh, gw = grid
    return rearrange(
        tokens, "b (t h w) (pt ph pw c) -> b (t pt) c (h ph) (w pw)", t=gt, h=gh, w=gw, pt=pt, ph=ph, pw=pw,
    )


@dataclass
class Conditioning:
    """Everything a clip is conditioned on, batched.

    ``known``: clean leading frames in [-1, 1] ``(B, T, C, H, W)`` (zeros where unknown);
    ``known_mask``: ``(B, T)`` 1.0 where a frame is known; ``text_ids``: ``(B, L)`` from
    ``text_encoder.tokenize``; ``motion``: requested speed in px/frame ``(B,)``;
    ``drop_text`` / ``drop_motion``: bool ``(B,)``, True -> use the learned null vector
    (conditioning dropout in training, the unconditional branch of guidance).
    """

    known: torch.Tensor
    known_mask: torch.Tensor
    text_ids: torch.Tensor
    motion: torch.Tensor
    drop_text: torch.Tensor
    drop_motion: torch.Tensor

    def unconditional(self) -> "Conditioning":
        """The guidance baseline: same known frames, no prompt, no motion request."""
        ones = torch.ones_like(self.drop_text)
        return replace(self, drop_text=ones, drop_motion=ones)

    def cat(self, other: "Conditioning") -> "Conditioning":
        return Conditioning(*(torch.cat([a, b]) for a, b in zip(self.fields(), other.fields())))

    def fields(self) -> tuple[torch.Tensor, ...]:
        return (self.known, self.known_mask, self.text_ids, self.motion, self.drop_text, self.drop_motion)


class DiT(nn.Module):
    """Predicts the flow-matching velocity of a noisy clip (see ``flow_matching``)."""

    def __init__(self, config: DiTConfig):
        super().__init__()
        self.config = cfg = config
        pt, ph, pw = cfg.patch
        in_dim = pt * ph * pw * (cfg.channels + IN_EXTRA)
        self.patch_dim = pt * ph * pw * cfg.channels
        gt, gh, gw = cfg.grid
        self.embed = nn.Linear(in_dim, cfg.dim)
        # factorised learned 3D position: token (t, h, w) gets pos_t[t] + pos_h[h] + pos_w[w]
        self.pos_t = nn.Parameter(torch.zeros(gt, 1, 1, cfg.dim))
        self.pos_h = nn.Parameter(torch.zeros(1, gh, 1, cfg.dim))
        self.pos_w = nn.Parameter(torch.zeros(1, 1, gw, cfg.dim))
        self.time_embed = ScalarEmbed(cfg.dim)
        self.motion_embed = ScalarEmbed(cfg.dim)
        self.motion_null = nn.Parameter(torch.zeros(cfg.dim))  # "no motion request"
        self.text = TextEncoder(cfg.text_vocab, cfg.text_len, cfg.dim, cfg.heads)
        self.blocks = nn.ModuleList(DiTBlock(cfg.dim, cfg.heads, cfg.mlp_ratio) for _ in range(cfg.depth))
        self.final = FinalLayer(cfg.dim, self.patch_dim)
        self._init_weights()

    def _init_weights(self) -> None:
        # transformer linears: Xavier, as DiT; biases zero
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        for p in (self.pos_t, self.pos_h, self.pos_w):
            nn.init.normal_(p, std=0.02)
        # conditioning MLPs: small normal init (DiT's timestep embedder uses std 0.02)
        for emb in (self.time_embed, self.motion_embed):
            for m in emb.mlp:
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, std=0.02)
        nn.init.normal_(self.motion_null, std=0.02)
        nn.init.normal_(self.text.null, std=0.02)
        # adaLN-Zero: every gate starts at 0, so each block starts as the identity ...
        for block in self.blocks:
            nn.init.zeros_(block.ada[-1].weight)
            nn.init.zeros_(block.ada[-1].bias)
        # ... and the output projection starts at 0, so the initial prediction is 0 for any input
        nn.init.zeros_(self.final.ada[-1].weight)
        nn.init.zeros_(self.final.ada[-1].bias)
        nn.init.zeros_(self.final.linear.weight)
        nn.init.zeros_(self.final.linear.bias)

    def condition(self, t: torch.Tensor, cond: Conditioning) -> torch.Tensor:
        """The adaLN vector ``c`` ``(B, D)`` from flow time ``t`` in [0, 1] ``(B,)``, text and motion."""
        c = self.time_embed(t * 1000.0)  # (B, D); DiT's timestep scale
        c = c + self.text(cond.text_ids, cond.drop_text)  # (B, D)
        m = self.motion_embed(cond.motion.clamp(min=0) * self.config.motion_scale)  # (B, D)
        m = torch.where(cond.drop_motion.unsqueeze(-1), self.motion_null.to(m.dtype).expand_as(m), m)
        return c + m

    def forward(self, x: torch.Tensor, t: torch.Tensor, cond: Conditioning) -> torch.Tensor:
        """``x`` noisy clip ``(B, T, C, H, W)``, ``t`` ``(B,)``. Returns the velocity, shaped like ``x``."""
        cfg = self.config
        B, T, _, H, W = x.shape
        # a window may be shorter than the trained one (fewer temporal positions), never longer
        if (H, W) != (cfg.height, cfg.width) or T > cfg.frames or T % cfg.patch[0]:
            raise ValueError(
                f"model takes up to {cfg.frames} frames (multiple of {cfg.patch[0]}) at "
                f"{cfg.height}x{cfg.width}, got {T}x{H}x{W}"
            )
        grid = (T // cfg.patch[0], cfg.grid[1], cfg.grid[2])
        mask = cond.known_mask[:, :, None, None, None].to(x.dtype).expand(B, T, 1, H, W)  # (B, T, 1, H, W)
        inp = torch.cat([x, cond.known.to(x.dtype) * mask, mask], dim=2)  # (B, T, C+4, H, W)
        h = self.embed(patchify(inp, cfg.patch))  # (B, N, D)
        pos = (self.pos_t[: grid[0]] + self.pos_h + self.pos_w).flatten(0, 2)  # (N, D), (t, h, w) order
        h = h + pos.to(h.dtype)
        c = self.condition(t, cond)  # (B, D)
        for block in self.blocks:
            h = block(h, c)  # (B, N, D)
        x0_hat = unpatchify(self.final(h, c), cfg.patch, grid)  # (B, T, C, H, W)
        if cfg.prediction == "v":
            return x0_hat  # the network output is the velocity itself
        # x-prediction (Li & He 2025, "Back to Basics", JiT): a token carries 192 pixel values
        # but only `dim` features, so it cannot pass the noise through to predict v = eps - x0;
        # it predicts the clean clip and v = (x_t - x0_hat) / t follows (t clamped as JiT does)
        return (x - x0_hat) / t.clamp(min=T_MIN).view(B, 1, 1, 1, 1).to(x.dtype)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
