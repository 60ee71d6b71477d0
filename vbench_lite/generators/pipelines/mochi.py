"""Mochi 1 (``-g mochi``): ``MochiPipeline`` (text-to-video only).

Facts from diffusers 0.42 (``pipelines/mochi/pipeline_mochi.py``,
``models/autoencoders/autoencoder_kl_mochi.py``):

- ``__call__`` defaults: ``num_frames=19``, 64 steps, ``guidance_scale=4.5`` (classifier-
  free, on when > 1), ``max_sequence_length=256``; height/width default to the pipeline's
  ``default_height``/``default_width`` 480x848.
- The VAE compresses 8x in space and 6x in time (``vae_spatial_scale_factor = 8``,
  ``vae_temporal_scale_factor = 6``); latent frames are ``(num_frames - 1) // 6 + 1`` and
  the decoder gives back ``(latent_frames - 1) * 6 + 1`` (``drop_last_temporal_frames``):
  only ``6k+1`` counts come back as asked (84 would return 79).
- ``check_inputs`` asks for multiples of 8, but the transformer patchifies the latent by
  ``patch_size = 2``: height and width must be multiples of 16 (480x848 are).
- Native length: genmo's reference sampler makes 163 frames (5.4 s at 30 fps); diffusers'
  default of 19 is a quick preview.
"""

from __future__ import annotations

from vbench_lite.generators.pipelines.base import Family, PipelineGenerator

FAMILY = Family(
    name="mochi",
    title="Mochi 1",
    pipelines={"t2v": "MochiPipeline"},
    native=(480, 848),
    frames=163,
    fps=30.0,
    frame_step=6,
    multiple=16,
    guidance="classifier-free guidance scale (guidance_scale, > 1 turns it on; against negative_prompt)",
    guidance_default=4.5,
    steps_default=64,
    examples={"t2v": "genmo/mochi-1-preview"},
)


class MochiGenerator(PipelineGenerator):
    family = FAMILY
