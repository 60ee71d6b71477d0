"""Tiny randomly initialised REAL diffusers pipelines, saved with ``save_pretrained``.

Each ``tiny_*_folder(path)`` builds the real pipeline class from tiny component
configs (modelled on diffusers' own ``get_dummy_components`` in
``tests/pipelines/<family>/``), saves it under ``path`` and returns the folder, so a
test loads it through the adapter's real ``from_pretrained`` path
(``--set model=<folder>``). No weights, no network; one generation takes well under
a second on a CPU core. ``seed`` changes the random weights (a "new checkpoint").
"""

from __future__ import annotations

from pathlib import Path


def save_pipeline(pipe, path) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    pipe.save_pretrained(str(path))
    return path


def tiny_svd_folder(path, seed: int = 0) -> Path:
    """StableVideoDiffusionPipeline: 32x32-friendly UNet (latents /8), CLIP vision
    encoder, temporal-decoder VAE, Euler (v-prediction, Karras sigmas) like SVD's."""
    import torch
    from diffusers import (AutoencoderKLTemporalDecoder, EulerDiscreteScheduler, StableVideoDiffusionPipeline,
                           UNetSpatioTemporalConditionModel)
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(seed)
    unet = UNetSpatioTemporalConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=4, in_channels=8, out_channels=4,
        down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
        up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"),
        cross_attention_dim=32, num_attention_heads=2,
        # 3 added time ids (fps, motion bucket, noise aug) x addition_time_embed_dim
        projection_class_embeddings_input_dim=3 * 8, addition_time_embed_dim=8, num_frames=4)
    vae = AutoencoderKLTemporalDecoder(block_out_channels=[32, 32, 32, 32], layers_per_block=1,
                                       down_block_types=["DownEncoderBlock2D"] * 4, latent_channels=4)
    image_encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=32, projection_dim=32, num_hidden_layers=1, num_attention_heads=2, image_size=224,
        intermediate_size=37, patch_size=56))
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", interpolation_type="linear",
        num_train_timesteps=1000, prediction_type="v_prediction", sigma_max=700.0, sigma_min=0.002,
        steps_offset=1, timestep_spacing="leading", timestep_type="continuous", use_karras_sigmas=True)
    pipe = StableVideoDiffusionPipeline(
        vae=vae.eval(), image_encoder=image_encoder.eval(), unet=unet.eval(), scheduler=scheduler,
        feature_extractor=CLIPImageProcessor(crop_size=224, size=224))
    return save_pipeline(pipe, path)


def _text_parts(d_model: int, seed: int):
    from helpers.tiny_text import tiny_t5, tiny_tokenizer

    return tiny_tokenizer(max_length=16), tiny_t5(d_model=d_model, seed=seed)


def tiny_cogvideox_folder(path, mode: str = "t2v", seed: int = 0, learned_positions: bool = False) -> Path:
    """CogVideoXPipeline (t2v) or CogVideoXImageToVideoPipeline (i2v): VAE /8 spatial,
    /4 temporal (4k+1 frames), transformer patch 2 (sides multiples of 16), rotary
    positions (any size), ``max_text_seq_length=16`` (the adapter passes it as
    ``max_sequence_length``); the i2v transformer takes noise + image latents (8 ch).
    ``learned_positions``: positional embeddings fixed to 32x32, like CogVideoX-5b-I2V's."""
    import torch
    from diffusers import (AutoencoderKLCogVideoX, CogVideoXDDIMScheduler, CogVideoXImageToVideoPipeline,
                           CogVideoXPipeline, CogVideoXTransformer3DModel)

    tokenizer, text_encoder = _text_parts(32, seed)
    torch.manual_seed(seed)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2, attention_head_dim=16, in_channels=8 if mode == "i2v" else 4, out_channels=4,
        time_embed_dim=2, text_embed_dim=32, num_layers=1, sample_width=4, sample_height=4, sample_frames=9,
        patch_size=2, temporal_compression_ratio=4, max_text_seq_length=16, use_rotary_positional_embeddings=True,
        use_learned_positional_embeddings=learned_positions)
    vae = AutoencoderKLCogVideoX(
        down_block_types=("CogVideoXDownBlock3D",) * 4, up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8), latent_channels=4, layers_per_block=1, norm_num_groups=2,
        temporal_compression_ratio=4)
    cls = CogVideoXImageToVideoPipeline if mode == "i2v" else CogVideoXPipeline
    pipe = cls(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae.eval(), transformer=transformer.eval(),
               scheduler=CogVideoXDDIMScheduler())
    return save_pipeline(pipe, path)


def tiny_ltx_folder(path, seed: int = 0) -> Path:
    """LTXPipeline (loads as LTXImageToVideoPipeline too, like Lightricks/LTX-Video):
    VAE /4 spatial and temporal, transformer patch 1; 32x32 and 9 frames fit the
    family's rules (multiples of 32, 8k+1)."""
    import torch
    from diffusers import (AutoencoderKLLTXVideo, FlowMatchEulerDiscreteScheduler, LTXPipeline,
                           LTXVideoTransformer3DModel)

    tokenizer, text_encoder = _text_parts(32, seed)
    torch.manual_seed(seed)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=2, attention_head_dim=8,
        cross_attention_dim=16, num_layers=1, caption_channels=32)
    vae = AutoencoderKLLTXVideo(
        latent_channels=8, block_out_channels=(8, 8, 8, 8), decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1), decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False), decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False,) * 5, upsample_residual=(False,) * 4, upsample_factor=(1,) * 4,
        timestep_conditioning=False, patch_size=1, patch_size_t=1, encoder_causal=True, decoder_causal=False)
    pipe = LTXPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae.eval(), transformer=transformer.eval(),
                       scheduler=FlowMatchEulerDiscreteScheduler())
    return save_pipeline(pipe, path)
