"""``-g ltx-video``: LTX-Video through diffusers' ``LTXPipeline`` (t2v) and
``LTXImageToVideoPipeline`` (i2v: the case's first frame, plus the prompt); one
checkpoint (Lightricks/LTX-Video) serves both.

Accepts: ``8k+1`` frames (native 161), height and width multiples of 32 (native
512x704), 25 fps. The ``fps`` setting is also the model's ``frame_rate``
conditioning (it scales the temporal positions), so a clip is made for the rate it
is scored at. ``guidance`` is the classifier-free guidance scale (> 1 turns it on,
against ``negative_prompt``); ``guidance_rescale`` tempers over-exposure.
``decode_timestep`` / ``decode_noise_scale`` matter only for checkpoints whose VAE
is timestep-conditioned (LTX-Video 0.9.1 and later; see the model card's values).

Facts from diffusers 0.42 ``pipelines/ltx/pipeline_ltx.py`` and
``pipeline_ltx_image2video.py`` (``__init__``, ``check_inputs``, ``__call__``, examples).
"""

from __future__ import annotations

from vbench_lite.generators.pipelines.base import Family, Knob, PipelineGenerator

FAMILY = Family(
    name="ltx-video",
    title="LTX-Video",
    pipelines={"t2v": "LTXPipeline", "i2v": "LTXImageToVideoPipeline"},
    native=(512, 704),  # __call__ defaults height=512, width=704 (the examples use 480x704)
    frames=161,  # __call__ default num_frames=161
    fps=25.0,  # __call__ default frame_rate=25 (the examples export at 24)
    frame_step=8,  # latent frames (num_frames - 1) // vae_temporal_compression_ratio (8) + 1
    multiple=32,  # check_inputs: "height and width have to be divisible by 32"
    guidance="classifier-free guidance scale (guidance_scale; > 1 turns it on, against negative_prompt)",
    guidance_default=3.0,  # __call__ default guidance_scale=3
    steps_default=50,  # __call__ default num_inference_steps=50
    fps_kwarg="frame_rate",  # rope_interpolation_scale = vae_temporal_compression_ratio / frame_rate
    knobs=(
        Knob("guidance_rescale", 0.0, "rescale the guided prediction toward the conditional one's std "
                                      "(0 = off; fixes over-exposure at high guidance)"),
        Knob("decode_timestep", 0.0, "timestep the VAE decodes at (only timestep-conditioned VAEs, LTX-Video 0.9.1+)"),
        Knob("decode_noise_scale", None, "noise mixed into the latents before decoding (none = decode_timestep; "
                                         "only timestep-conditioned VAEs)"),
    ),
    examples={"t2v": "Lightricks/LTX-Video", "i2v": "Lightricks/LTX-Video"},
)


class LTXVideoGenerator(PipelineGenerator):
    family = FAMILY
