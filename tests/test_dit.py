"""The reference DiT and its flow matching: shapes, patches, zero-init, loss, samplers, rollout."""

import numpy as np
import pytest
import torch

from vbench_lite.generators.dit.model import DiT, Conditioning, DiTConfig, patchify, unpatchify
from vbench_lite.generators.dit.data import (
    DropoutConfig, measure_speed, strip_numbers, synthetic_clip, to_model, to_uint8, training_conditioning,
)
from vbench_lite.generators.dit.flow_matching import flow_loss, rollout, sample, window_starts
from vbench_lite.generators.dit.text_encoder import tokenize

TINY = DiTConfig(frames=8, height=16, width=16, patch=(4, 4, 4), dim=32, depth=2, heads=2, text_len=8)


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def make_cond(cfg: DiTConfig, B: int, k: int = 4, prompts=None, motion=0.5, T=None) -> Conditioning:
    T = T or cfg.frames
    known = torch.rand(B, T, 3, cfg.height, cfg.width) * 2 - 1
    mask = (torch.arange(T)[None] < k).float().expand(B, T).clone()
    return Conditioning(
        known=known * mask[:, :, None, None, None], known_mask=mask,
        text_ids=tokenize(prompts or ["a red ball falls"] * B, cfg.text_len, cfg.text_vocab),
        motion=torch.full((B,), motion), drop_text=torch.zeros(B, dtype=torch.bool),
        drop_motion=torch.zeros(B, dtype=torch.bool),
    )


def randomize_zero_init(model: DiT) -> None:
    """Give the zero-initialised layers weights, as training would."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            if torch.count_nonzero(p) == 0:
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)


def test_patchify_round_trip_and_token_layout():
    x = torch.randn(2, 8, 3, 16, 12)
    tokens = patchify(x, (4, 4, 4))
    assert tokens.shape == (2, 2 * 4 * 3, 4 * 4 * 4 * 3)
    assert torch.equal(unpatchify(tokens, (4, 4, 4), (2, 4, 3)), x)
    # token 0 holds exactly the first tubelet: frames 0-3, rows 0-3, cols 0-3
    assert torch.equal(tokens[0, 0].view(4, 4, 4, 3), x[0, :4, :, :4, :4].permute(0, 2, 3, 1))


def test_forward_shapes_and_shorter_windows():
    model = DiT(TINY)
    randomize_zero_init(model)
    for T in (8, 4):
        x = torch.randn(3, T, 3, 16, 16)
        v = model(x, torch.rand(3), make_cond(TINY, 3, T=T))
        assert v.shape == x.shape and torch.isfinite(v).all()
    with pytest.raises(ValueError, match="up to 8 frames"):
        model(torch.randn(1, 12, 3, 16, 16), torch.rand(1), make_cond(TINY, 1, T=12))


def test_zero_init_gives_the_conditioning_independent_baseline():
    model = DiT(TINY).eval()
    x = torch.randn(2, 8, 3, 16, 16)
    t = torch.tensor([0.2, 0.8])
    a = model(x, t, make_cond(TINY, 2, k=4, prompts=["red ball", "blue candle"], motion=0.1))
    b = model(x, t, make_cond(TINY, 2, k=0, prompts=["", "two balls"], motion=2.0))
    # the network's clean-clip estimate is 0, so the velocity is x_t / t for any conditioning
    assert torch.allclose(a, x / t.view(2, 1, 1, 1, 1)) and torch.equal(b, a)
    v_model = DiT(DiTConfig(**{**TINY.to_dict(), "patch": TINY.patch, "prediction": "v"}))
    assert torch.equal(v_model(x, t, make_cond(TINY, 2)), torch.zeros_like(x))
    # every residual branch is gated by zero: each block is the identity
    h, c = torch.randn(2, TINY.num_tokens, TINY.dim), torch.randn(2, TINY.dim)
    for block in model.blocks:
        assert torch.equal(block(h, c), h)
    # once trained weights exist, the conditioning does change the output
    randomize_zero_init(model)
    a = model(x, torch.tensor([0.5, 0.5]), make_cond(TINY, 2, prompts=["red ball", "red ball"], motion=0.1))
    b = model(x, torch.tensor([0.5, 0.5]), make_cond(TINY, 2, prompts=["red ball", "red ball"], motion=2.0))
    assert (a - b).abs().max() > 1e-4


def test_sampler_convention_recovers_data_with_the_exact_velocity():
    # For a single data point x0 the exact rectified-flow velocity is (x - x0) / t; Euler
    # integration of straight paths is exact, so any step count lands on x0 (t=0 is data).
    x0 = torch.randn(2, 4, 3, 8, 8)
    noise = torch.randn_like(x0)
    exact = lambda x, t: (x - x0) / t.view(-1, 1, 1, 1, 1)
    for steps, method in ((1, "euler"), (5, "euler"), (4, "heun")):
        assert torch.allclose(sample(exact, noise, steps, method), x0, atol=1e-5)
    with pytest.raises(ValueError, match="steps"):
        sample(exact, noise, 0)


def test_a_few_training_steps_lower_the_loss():
    torch.manual_seed(0)
    model = DiT(TINY)
    rng = np.random.default_rng(0)
    clips = [synthetic_clip(rng, TINY.frames, TINY.height, TINY.width) for _ in range(4)]
    x0 = to_model(np.stack([c[0] for c in clips]))  # (4, T, 3, H, W)
    cond = training_conditioning(x0, [c[1] for c in clips], [c[2] for c in clips], TINY, DropoutConfig(), rng)

    def eval_loss() -> float:
        with torch.no_grad():
            return float(flow_loss(model, x0, cond, torch.Generator().manual_seed(123)))

    before = eval_loss()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for step in range(10):
        loss = flow_loss(model, x0, cond, torch.Generator().manual_seed(step % 3))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert eval_loss() < 0.7 * before


def test_loss_ignores_the_given_frames():
    zero_velocity = lambda x, t, cond: torch.zeros_like(x)  # a stand-in model
    x0 = torch.rand(2, 8, 3, 16, 16) * 2 - 1
    cond = make_cond(TINY, 2, k=4)
    base = flow_loss(zero_velocity, x0, cond, torch.Generator().manual_seed(0))
    x0_given_changed = x0.clone()
    x0_given_changed[:, :4] = 100.0  # only the given frames differ
    same = flow_loss(zero_velocity, x0_given_changed, cond, torch.Generator().manual_seed(0))
    x0_target_changed = x0.clone()
    x0_target_changed[:, 4:] = 100.0
    moved = flow_loss(zero_velocity, x0_target_changed, cond, torch.Generator().manual_seed(0))
    assert torch.allclose(base, same) and moved > 100 * base


def test_x_weighting_is_the_clean_clip_error():
    """weighting "x" scores |x0_hat - x0|^2 where x0_hat = x_t - t * v_hat (the same draw of t and noise)."""
    from vbench_lite.generators.dit.flow_matching import logit_normal_times

    x0 = torch.rand(3, 8, 3, 16, 16) * 2 - 1
    cond = make_cond(TINY, 3, k=0)
    zero_velocity = lambda x, t, cond: torch.zeros_like(x)  # then x0_hat = x_t
    got = flow_loss(zero_velocity, x0, cond, torch.Generator().manual_seed(5), weighting="x")
    g = torch.Generator().manual_seed(5)
    t = logit_normal_times(3, g).view(3, 1, 1, 1, 1)
    eps = torch.randn(x0.shape, generator=g)
    x_t = (1 - t) * x0 + t * eps
    assert torch.allclose(got, ((x_t - x0) ** 2).mean(), rtol=1e-5)
    with pytest.raises(ValueError, match="weighting"):
        flow_loss(zero_velocity, x0, cond, weighting="eps")


def test_temporal_term_scores_frame_differences_of_the_clean_clip_estimate():
    """temporal_weight adds |diff x0_hat - diff x0|^2 over pairs with a generated frame: an
    error held steady over frames costs nothing there, a jump between frames does."""
    x0 = torch.rand(2, 8, 3, 16, 16) * 2 - 1
    cond = make_cond(TINY, 2, k=2)

    def offset_model(delta):  # predicts v so that x0_hat = x0 + delta(frame)
        def model(x, t, c):
            tt = t.view(-1, 1, 1, 1, 1)
            eps = (x - (1 - tt) * x0) / tt
            return eps - x0 - delta.view(1, -1, 1, 1, 1) / tt  # x0_hat = x_t - t v = x0 + delta
        return model

    steady = offset_model(torch.full((8,), 0.1))
    jump = offset_model(torch.tensor([0.1] * 4 + [-0.1] * 4))
    g = lambda: torch.Generator().manual_seed(3)
    base = flow_loss(steady, x0, cond, g(), weighting="x")
    assert torch.allclose(base, torch.tensor(0.1 ** 2), rtol=1e-4)
    # pairs (1,2)..(6,7) count (pair (0,1) is all given); the given frame 1 stands for itself, so
    # pair (1,2) sees the 0.1 offset appear; a steady offset costs nothing after that, a jump does
    steady_t = flow_loss(steady, x0, cond, g(), weighting="x", temporal_weight=2.0)
    assert torch.allclose(steady_t, base + 2.0 * 0.1 ** 2 / 6, rtol=1e-4)
    jump_t = flow_loss(jump, x0, cond, g(), weighting="x", temporal_weight=2.0)
    assert torch.allclose(jump_t, base + 2.0 * (0.1 ** 2 + 0.2 ** 2) / 6, rtol=1e-4)


def test_window_plan_and_rollout_length_with_given_frames_kept():
    assert window_starts(8, 8, 4) == [0]
    assert window_starts(32, 16, 4) == [0, 12, 24]
    assert window_starts(20, 8, 4) == [0, 4, 8, 12]
    with pytest.raises(ValueError, match="overlap"):
        window_starts(32, 16, 0)
    model = DiT(TINY).eval()
    randomize_zero_init(model)
    cond = make_cond(TINY, 2, k=4)
    g = torch.Generator().manual_seed(0)
    out = rollout(model, cond, total=20, window=8, overlap=4, steps=2, guidance=2.0,
                  noise_fn=lambda i: torch.randn(2, 8, 3, 16, 16, generator=g))
    assert out.shape == (2, 20, 3, 16, 16)
    assert torch.allclose(out[:, :4], cond.known[:, :4])  # the given frames come back unchanged
    assert out.abs().max() <= 1.0


def test_measure_speed_in_pixels_per_frame():
    clip = np.zeros((10, 32, 32, 3), np.uint8)
    for t in range(10):
        clip[t, 10:14, 2 + 2 * t : 6 + 2 * t] = 255  # 2 px/frame to the right
    assert measure_speed(clip) == pytest.approx(2.0, abs=1e-6)
    assert measure_speed(np.repeat(clip[:1], 10, axis=0)) == 0.0
    assert measure_speed(np.zeros((5, 16, 16, 3), np.uint8)) == 0.0  # nothing moves, nothing there


def test_prompts_can_lose_their_numbers_in_training():
    prompt = "A red ball of radius 1.2 slides left at a constant 1.3 units per second."
    assert strip_numbers(prompt) == "A red ball of radius slides left at a constant units per second."
    assert strip_numbers("4 balls move at -2 units per second") == "balls move at units per second"
    clips = torch.zeros(64, TINY.frames, 3, TINY.height, TINY.width)
    rng = lambda: np.random.default_rng(0)
    keep = training_conditioning(clips, [prompt] * 64, [0.5] * 64, TINY, DropoutConfig(), rng())
    half = training_conditioning(clips, [prompt] * 64, [0.5] * 64, TINY,
                                 DropoutConfig(p_drop_numbers=0.5), rng())
    with_numbers = tokenize([prompt], TINY.text_len, TINY.text_vocab)
    without = tokenize([strip_numbers(prompt)], TINY.text_len, TINY.text_vocab)
    assert (keep.text_ids == with_numbers).all(dim=1).all()
    n_stripped = int((half.text_ids == without).all(dim=1).sum())
    assert 16 < n_stripped < 48 and n_stripped + int((half.text_ids == with_numbers).all(dim=1).sum()) == 64


def test_pixel_conversion_round_trip():
    frames = np.random.default_rng(0).integers(0, 256, (2, 3, 8, 8, 3), dtype=np.uint8)
    x = to_model(frames)
    assert x.shape == (2, 3, 3, 8, 8) and x.min() >= -1 and x.max() <= 1
    assert np.array_equal(to_uint8(x), frames)


def test_text_encoder_null_and_hashing():
    ids = tokenize(["A red ball at 3.4 units", ""], 8, 1024)
    assert ids[0, :6].ne(0).all() and ids[1].eq(0).all()
    assert torch.equal(ids, tokenize(["a RED ball at 3.4 units", ""], 8, 1024))  # case-insensitive, stable
    model = DiT(TINY)
    vec = model.text(ids, torch.tensor([True, False]))
    assert torch.equal(vec[0], model.text.null) and torch.equal(vec[1], model.text.null)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_bf16_forward_on_gpu_matches_fp32():
    model = DiT(TINY).cuda().eval()
    randomize_zero_init(model)
    x = torch.randn(2, 8, 3, 16, 16, device="cuda")
    cond = Conditioning(*(f.cuda() for f in make_cond(TINY, 2).fields()))
    t = torch.full((2,), 0.5, device="cuda")
    ref = model(x, t, cond)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        low = model(x, t, cond)
    assert low.shape == ref.shape and torch.isfinite(low).all()
    assert (low.float() - ref).abs().max() < 0.05 * ref.abs().max() + 1e-3
