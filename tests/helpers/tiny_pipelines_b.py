"""Tiny randomly initialised REAL Wan, HunyuanVideo and Mochi pipelines, saved with
``save_pretrained`` (see ``tiny_pipelines.py`` for the idea).

Component sizes follow diffusers' own ``get_dummy_components``
(``tests/pipelines/{wan,hunyuan_video,mochi}/test_*.py``), with the offline word-level
tokenizer and tiny encoders of ``tiny_text`` in place of Hub downloads.
"""

from __future__ import annotations

from pathlib import Path

from helpers.tiny_pipelines import save_pipeline
from helpers.tiny_text import WORDS, tiny_t5, tiny_tokenizer

TEXT_DIM = 16  # tiny_t5's d_model
VOCAB = len(WORDS) + 8  # tiny_tokenizer's ids fit


def _wan_transformer(in_channels=16, out_channels=16, image_dim=None):
    from diffusers import WanTransformer3DModel

    return WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=in_channels,
        out_channels=out_channels, text_dim=TEXT_DIM, freq_dim=256, ffn_dim=32, num_layers=1,
        cross_attn_norm=True, qk_norm="rms_norm_across_heads", rope_max_seq_len=32, image_dim=image_dim).eval()


def tiny_wan_folder(path, kind: str = "t2v", seed: int = 0) -> Path:
    """``kind``: ``t2v`` (Wan 2.1 WanPipeline), ``t2v-a14b`` (Wan 2.2 A14B: two experts,
    ``boundary_ratio``), ``i2v`` (Wan 2.1 WanImageToVideoPipeline with a CLIP image
    encoder), ``ti2v-5b`` (Wan 2.2 TI2V-5B style: 16x VAE, ``expand_timesteps``, saved as a
    WanPipeline like the real repo, loaded as WanImageToVideoPipeline for i2v: no image encoder)."""
    import torch
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanImageToVideoPipeline, WanPipeline

    torch.manual_seed(seed)
    if kind == "ti2v-5b":  # Wan 2.2 VAE: 48 latent channels, patchified 16x spatial compression
        vae = AutoencoderKLWan(base_dim=3, z_dim=48, in_channels=12, out_channels=12, is_residual=True, patch_size=2,
                               latents_mean=[0.0] * 48, latents_std=[1.0] * 48, dim_mult=[1, 1, 1, 1],
                               num_res_blocks=1, scale_factor_spatial=16, scale_factor_temporal=4,
                               temperal_downsample=[False, True, True])
    else:
        vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                               temperal_downsample=[False, True, True])
    common = dict(vae=vae.eval(), text_encoder=tiny_t5(TEXT_DIM, seed), tokenizer=tiny_tokenizer(),
                  scheduler=UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True,
                                                    flow_shift=3.0))
    if kind == "t2v":
        pipe = WanPipeline(transformer=_wan_transformer(), **common)
    elif kind == "t2v-a14b":
        pipe = WanPipeline(transformer=_wan_transformer(), transformer_2=_wan_transformer(), boundary_ratio=0.875,
                           **common)
    elif kind == "i2v":
        from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

        encoder = CLIPVisionModel(CLIPVisionConfig(hidden_size=4, projection_dim=4, num_hidden_layers=2,
                                                   num_attention_heads=2, image_size=32, intermediate_size=16,
                                                   patch_size=8))
        # latents (16) + mask (4) + encoded first frame (16)
        pipe = WanImageToVideoPipeline(transformer=_wan_transformer(in_channels=36, image_dim=4),
                                       image_encoder=encoder.eval(),
                                       image_processor=CLIPImageProcessor(crop_size=32, size=32), **common)
    elif kind == "ti2v-5b":
        pipe = WanPipeline(transformer=_wan_transformer(48, 48), expand_timesteps=True, **common)
    else:
        raise ValueError(kind)
    return save_pipeline(pipe, path)


def _hunyuan_parts(seed, in_channels=4, guidance_embeds=True, image_condition_type=None):
    """transformer, VAE, scheduler, CLIP text encoder and its tokenizer (shared by t2v and i2v)."""
    import torch
    from diffusers import AutoencoderKLHunyuanVideo, FlowMatchEulerDiscreteScheduler, HunyuanVideoTransformer3DModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    transformer = HunyuanVideoTransformer3DModel(
        in_channels=in_channels, out_channels=4, num_attention_heads=2, attention_head_dim=10, num_layers=1,
        num_single_layers=1, num_refiner_layers=1, patch_size=2, patch_size_t=1, guidance_embeds=guidance_embeds,
        text_embed_dim=16, pooled_projection_dim=8, rope_axes_dim=(2, 4, 4), image_condition_type=image_condition_type)
    vae = AutoencoderKLHunyuanVideo(
        in_channels=3, out_channels=3, latent_channels=4, down_block_types=("HunyuanVideoDownBlock3D",) * 4,
        up_block_types=("HunyuanVideoUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8), layers_per_block=1,
        act_fn="silu", norm_num_groups=4, scaling_factor=0.476986, spatial_compression_ratio=8,
        temporal_compression_ratio=4, mid_block_add_attention=True)
    clip = CLIPTextModel(CLIPTextConfig(vocab_size=VOCAB, hidden_size=8, intermediate_size=16, num_attention_heads=2,
                                        num_hidden_layers=1, pad_token_id=0, bos_token_id=1, eos_token_id=1,
                                        projection_dim=8))
    return dict(transformer=transformer.eval(), vae=vae.eval(), scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
                text_encoder_2=clip.eval(), tokenizer_2=tiny_tokenizer(max_length=77))


def _tiny_llama_config():
    from transformers import LlamaConfig

    return LlamaConfig(vocab_size=VOCAB, hidden_size=16, intermediate_size=32, num_attention_heads=4,
                       num_key_value_heads=4, num_hidden_layers=3, pad_token_id=0, bos_token_id=1, eos_token_id=1,
                       max_position_embeddings=512)


def tiny_hunyuan_folder(path, seed: int = 0) -> Path:
    """HunyuanVideoPipeline: guidance-distilled transformer (``guidance_embeds``), a
    tiny LlamaModel + CLIPTextModel sharing the word-level tokenizer."""
    from diffusers import HunyuanVideoPipeline
    from transformers import LlamaModel

    parts = _hunyuan_parts(seed)
    pipe = HunyuanVideoPipeline(text_encoder=LlamaModel(_tiny_llama_config()).eval(), tokenizer=tiny_tokenizer(),
                                **parts)
    return save_pipeline(pipe, path)


# the i2v text encoder is LLaVA: a CLIP vision tower (32 px / patch 8 = 16 image features)
# spliced into the Llama sequence at [IMAGE_EMB_START, IMAGE_EMB_START + 16)
IMAGE_TOKEN, IMAGE_FEATURES, IMAGE_EMB_START = VOCAB - 1, 16, 1
HUNYUAN_I2V_TEMPLATE = {"template": "{}", "crop_start": 0, "image_emb_len": IMAGE_FEATURES,
                        "image_emb_start": IMAGE_EMB_START, "image_emb_end": IMAGE_EMB_START + IMAGE_FEATURES}


def tiny_hunyuan_i2v_folder(path, condition: str = "latent_concat", seed: int = 0) -> Path:
    """HunyuanVideoImageToVideoPipeline: a tiny LLaVA text encoder; ``condition`` is the
    transformer's ``image_condition_type`` (``latent_concat`` like HunyuanVideo-I2V-33ch,
    ``token_replace`` like HunyuanVideo-I2V). Needs ``HUNYUAN_I2V_TEMPLATE`` as
    ``prompt_template`` (the default one is sized for the real 576 image tokens)."""
    from diffusers import HunyuanVideoImageToVideoPipeline
    from transformers import CLIPImageProcessor, CLIPVisionConfig, LlavaConfig, LlavaForConditionalGeneration

    concat = condition == "latent_concat"
    parts = _hunyuan_parts(seed, in_channels=2 * 4 + 1 if concat else 4, guidance_embeds=not concat,
                           image_condition_type=condition)
    vision = CLIPVisionConfig(hidden_size=8, intermediate_size=16, projection_dim=8, num_attention_heads=2,
                              num_hidden_layers=2, image_size=32, patch_size=8)
    llava = LlavaForConditionalGeneration(LlavaConfig(vision_config=vision, text_config=_tiny_llama_config(),
                                                      image_token_index=IMAGE_TOKEN, image_seq_length=IMAGE_FEATURES,
                                                      pad_token_id=0))
    pipe = HunyuanVideoImageToVideoPipeline(text_encoder=llava.eval(), tokenizer=tiny_tokenizer(),
                                            image_processor=CLIPImageProcessor(crop_size=32, size=32), **parts)
    return save_pipeline(pipe, path)


def tiny_mochi_folder(path, seed: int = 0) -> Path:
    """MochiPipeline: tiny asymmetric DiT, Mochi VAE (8x space, 6x time), T5 text path."""
    import torch
    from diffusers import AutoencoderKLMochi, FlowMatchEulerDiscreteScheduler, MochiPipeline, MochiTransformer3DModel

    torch.manual_seed(seed)
    transformer = MochiTransformer3DModel(
        patch_size=2, num_attention_heads=2, attention_head_dim=8, num_layers=1, pooled_projection_dim=16,
        in_channels=12, qk_norm="rms_norm", text_embed_dim=TEXT_DIM, time_embed_dim=4, activation_fn="swiglu",
        max_sequence_length=16)
    vae = AutoencoderKLMochi(latent_channels=12, out_channels=3, encoder_block_out_channels=(32, 32, 32, 32),
                             decoder_block_out_channels=(32, 32, 32, 32), layers_per_block=(1, 1, 1, 1, 1))
    pipe = MochiPipeline(transformer=transformer.eval(), vae=vae.eval(), scheduler=FlowMatchEulerDiscreteScheduler(),
                         text_encoder=tiny_t5(TEXT_DIM, seed), tokenizer=tiny_tokenizer())
    return save_pipeline(pipe, path)
