"""``-g svd``: Stable Video Diffusion (image-to-video) through diffusers'
``StableVideoDiffusionPipeline``.

Accepts: image-to-video only (the case's first conditioning frame; no prompt), any
frame count (native 25 for img2vid-xt, 14 for img2vid), height and width multiples
of 8 (native 576x1024). ``guidance`` is the *last* frame's classifier-free guidance
scale: SVD ramps it linearly per frame from ``min_guidance`` (first frame) up to
``guidance`` (last frame). ``fps_cond`` is a conditioning value the model was
micro-conditioned on (as fps - 1), not the playback rate (the ``fps`` setting).
Its VAE (``AutoencoderKLTemporalDecoder``) has no tiling or slicing: lower
``decode_chunk_size`` to decode with less memory.

Facts from diffusers 0.42 ``pipelines/stable_video_diffusion/pipeline_stable_video_diffusion.py``
``StableVideoDiffusionPipeline.__call__`` and ``check_inputs``.
"""

from __future__ import annotations

from vbench_lite.errors import UserError
from vbench_lite.generators.pipelines.base import Family, Knob, PipelineGenerator

FAMILY = Family(
    name="svd",
    title="Stable Video Diffusion",
    pipelines={"i2v": "StableVideoDiffusionPipeline"},
    native=(576, 1024),  # __call__ defaults height=576, width=1024
    frames=25,  # unet.config.num_frames: 25 for img2vid-xt (14 for img2vid)
    fps=7.0,  # __call__ default fps=7; the docstring example exports at fps=7
    frame_step=1,  # num_frames is any count (no check in check_inputs)
    multiple=8,  # check_inputs: "height and width have to be divisible by 8"
    guidance=("classifier-free guidance of the last frame (max_guidance_scale); SVD ramps it linearly per frame "
              "from min_guidance at the first frame to this value at the last"),
    guidance_default=3.0,  # __call__ default max_guidance_scale=3.0
    guidance_kwarg="max_guidance_scale",
    steps_default=25,  # __call__ default num_inference_steps=25
    prompt_modes=(),  # __call__ takes no prompt
    knobs=(
        Knob("min_guidance", 1.0, "classifier-free guidance of the first frame (min_guidance_scale); 1 = none",
             kwarg="min_guidance_scale"),
        Knob("motion_bucket_id", 127, "motion conditioning: higher = more motion"),
        Knob("noise_aug_strength", 0.02, "noise added to the conditioning image: higher = less like it, more motion"),
        Knob("fps_cond", 7, "frame-rate conditioning of the model (__call__ fps; conditioned as fps-1), not the "
                            "playback fps setting", kwarg="fps"),
        Knob("decode_chunk_size", 0, "frames the VAE decodes at a time (0 = all at once, best temporal consistency; "
                                     "lower = less memory)"),
    ),
    examples={"i2v": "stabilityai/stable-video-diffusion-img2vid-xt"},
    # AutoencoderKLTemporalDecoder sets neither use_tiling nor use_slicing (diffusers 0.42,
    # models/autoencoders/autoencoder_kl_temporal_decoder.py): offering them failed every item at load
    vae_options=(),
    vae_note="use decode_chunk_size to decode fewer frames at a time",
)


class SVDGenerator(PipelineGenerator):
    family = FAMILY

    def resolve_settings(self, given):
        out = super().resolve_settings(given)
        if out["decode_chunk_size"] < 0:
            raise UserError("svd decode_chunk_size must be >= 0 (0 = all frames at once), "
                            f"got {out['decode_chunk_size']}")
        return out

    def call_kwargs(self, case, settings):
        kw = super().call_kwargs(case, settings)
        if not kw.get("decode_chunk_size"):
            kw.pop("decode_chunk_size", None)  # the pipeline's default: every frame at once
        return kw
