"""Flow matching (rectified flow) for the reference DiT: loss, samplers, rollout.

Convention (stated once, used everywhere; as SD3 / minRF):
    x_t = (1 - t) * x_0 + t * eps,   t in [0, 1],  t = 0 is data, t = 1 is pure noise,
    the network predicts the velocity  v = dx_t/dt = eps - x_0,
    sampling integrates from t = 1 down to t = 0:  x_{t - dt} = x_t - dt * v.
Training times are logit-normal, t = sigmoid(n), n ~ N(0, 1) (Esser et al. 2024, SD3
section 3.1: "lognorm(0.00, 1.00)"), which spends most samples at mid noise levels.

Pixels are in [-1, 1]. Known leading frames are inputs, not targets: the loss ignores
them and samplers paste them back into the output.
"""

from __future__ import annotations

from typing import Callable

import torch

from vbench_lite.generators.dit.model import DiT, Conditioning
from vbench_lite.generators.dit.windows import window_starts  # noqa: F401  (re-exported)

Velocity = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x_t, t) -> v


def logit_normal_times(n: int, generator: torch.Generator | None = None, device=None) -> torch.Tensor:
    """``n`` flow times in (0, 1), logit-normal with mean 0 and std 1. ``(n,)``."""
    return torch.sigmoid(torch.randn(n, generator=generator, device=device))


LOSS_WEIGHTINGS = ("v", "x")


def flow_loss(
    model: DiT, x0: torch.Tensor, cond: Conditioning, generator: torch.Generator | None = None,
    weighting: str = "v", temporal_weight: float = 0.0,
) -> torch.Tensor:
    """Mean squared velocity error over the frames that are not given.

    ``x0`` clean clips in [-1, 1] ``(B, T, C, H, W)``. Returns a scalar.
    ``weighting`` "v": the velocity error (the default); "x": the clean-clip error
    ``|x0_hat - x0|^2 = t^2 |v_hat - v|^2``, which moves weight from low noise (detail)
    to high noise (where the model decides where things are: the future motion).
    ``temporal_weight`` > 0 adds that many times the error of the clip's frame-to-frame
    differences, ``|diff_t x0_hat - diff_t x0|^2`` over neighbouring pairs with at least one
    generated frame (a given frame stands for itself), in the units of the "x" loss (times
    1/t^2 under "v"): a jump between two frames costs more than the same offset held
    steady, so it targets the per-frame jitter that velocity error measures.
    """
    if weighting not in LOSS_WEIGHTINGS:
        raise ValueError(f"unknown loss weighting {weighting!r}; use one of {LOSS_WEIGHTINGS}")
    B = x0.shape[0]
    t = logit_normal_times(B, generator, x0.device)  # (B,)
    eps = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)  # (B, T, C, H, W)
    tt = t.view(B, 1, 1, 1, 1).to(x0.dtype)
    xt = (1 - tt) * x0 + tt * eps  # (B, T, C, H, W)
    v = model(xt, t, cond)  # (B, T, C, H, W)
    target_mask = (1 - cond.known_mask)[:, :, None, None, None].to(v.dtype)  # (B, T, 1, 1, 1)
    err = (v.float() - (eps - x0).float()) ** 2 * target_mask  # (B, T, C, H, W)
    if weighting == "x":
        err = err * tt.float() ** 2
    denom = target_mask.sum() * x0[0, 0].numel()
    loss = err.sum() / denom.clamp(min=1)
    if temporal_weight > 0:
        x0_hat = xt.float() - tt.float() * v.float()  # (B, T, C, H, W)
        x0_hat = target_mask * x0_hat + (1 - target_mask) * x0.float()  # given frames stand for themselves
        pair = 1 - (1 - target_mask[:, 1:]) * (1 - target_mask[:, :-1])  # (B, T-1, 1, 1, 1): a generated frame in it
        d_err = (x0_hat.diff(dim=1) - x0.float().diff(dim=1)) ** 2 * pair  # (B, T-1, C, H, W)
        if weighting == "v":
            d_err = d_err / tt.float().clamp(min=1e-3) ** 2
        loss = loss + temporal_weight * d_err.sum() / (pair.sum() * x0[0, 0].numel()).clamp(min=1)
    return loss


def guided_velocity(model: DiT, cond: Conditioning, guidance: float) -> Velocity:
    """Classifier-free guidance, both branches in one batched forward:
    ``v = v_uncond + guidance * (v_cond - v_uncond)``; guidance 1 is plain conditional."""
    if guidance == 1.0:
        return lambda x, t: model(x, t, cond)
    both = cond.cat(cond.unconditional())

    def velocity(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        v_c, v_u = model(torch.cat([x, x]), torch.cat([t, t]), both).chunk(2)  # 2 x (B, T, C, H, W)
        return v_u + guidance * (v_c - v_u)

    return velocity


@torch.no_grad()
def sample(
    velocity: Velocity, noise: torch.Tensor, steps: int, method: str = "euler",
) -> torch.Tensor:
    """Integrate from t = 1 (``noise`` ``(B, T, C, H, W)``) to t = 0 with uniform steps.

    ``method``: "euler" (one call per step) or "heun" (two calls per step, second order;
    Karras et al. 2022, Alg. 1, with the last step Euler). Returns x_0 estimates.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if method not in ("euler", "heun"):
        raise ValueError(f"unknown sampler {method!r}; use 'euler' or 'heun'")
    x = noise
    B = x.shape[0]
    times = torch.linspace(1.0, 0.0, steps + 1, device=x.device)  # (steps + 1,)
    for i in range(steps):
        t, t_next = times[i], times[i + 1]
        dt = t - t_next
        v = velocity(x, t.expand(B))  # (B, T, C, H, W)
        x_euler = x - dt * v
        if method == "heun" and i < steps - 1:
            v2 = velocity(x_euler, t_next.expand(B))
            x = x - dt * 0.5 * (v + v2)
        else:
            x = x_euler
    return x


@torch.no_grad()
def rollout(
    model: DiT, cond: Conditioning, total: int, window: int, overlap: int, steps: int, guidance: float,
    noise_fn: Callable[[int], torch.Tensor], method: str = "euler",
) -> torch.Tensor:
    """Generate ``total`` frames with windows of ``window`` frames (at most the trained window).

    The first window uses ``cond`` as given (its known frames, if any); every later
    window is conditioned on the last ``overlap`` frames generated so far, with the same
    text and motion. ``noise_fn(i)`` returns the noise of window ``i`` ``(B, T, C, H, W)``
    (the caller seeds it per case); ``cond`` covers one window. Returns ``(B, total, C, H, W)`` in [-1, 1].
    """
    T = window
    if cond.known.shape[1] != T:
        raise ValueError(f"conditioning covers {cond.known.shape[1]} frames, the window is {T}")
    if overlap > model.config.cond_frames:
        raise ValueError(f"overlap {overlap} exceeds the model's {model.config.cond_frames} conditioning frames")
    out: torch.Tensor | None = None
    for i, start in enumerate(window_starts(total, T, overlap)):
        if out is not None:
            known = torch.zeros_like(cond.known)  # (B, T, C, H, W)
            known[:, :overlap] = out[:, start:start + overlap]
            mask = torch.zeros_like(cond.known_mask)  # (B, T)
            mask[:, :overlap] = 1
            cond = Conditioning(known, mask, cond.text_ids, cond.motion, cond.drop_text, cond.drop_motion)
        x = sample(guided_velocity(model, cond, guidance), noise_fn(i), steps, method)  # (B, T, C, H, W)
        m = cond.known_mask[:, :, None, None, None].to(x.dtype)
        x = (m * cond.known.to(x.dtype) + (1 - m) * x).clamp(-1, 1)  # paste the given frames back
        out = x if out is None else torch.cat([out[:, :start], x], dim=1)
    return out[:, :total]
