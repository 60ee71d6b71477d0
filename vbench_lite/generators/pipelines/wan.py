"""Wan 2.1 / 2.2 (``-g wan``): ``WanPipeline`` (t2v) and ``WanImageToVideoPipeline`` (i2v).

Facts from diffusers 0.42 (``pipelines/wan/pipeline_wan.py``, ``pipeline_wan_i2v.py``):

- ``__call__`` defaults: 480x832, ``num_frames=81``, 50 steps, ``guidance_scale=5.0``,
  ``max_sequence_length=512``; the examples export at ``fps=16``.
- ``num_frames`` with ``num_frames % vae_scale_factor_temporal != 1`` is silently rounded
  (a log warning); the Wan VAEs compress time 4x: ``4k+1`` frames.
- ``check_inputs`` wants height and width divisible by 16; ``__call__`` then floors them
  to ``vae.scale_factor_spatial * transformer.patch_size`` -- 8 x 2 = 16 for Wan 2.1 and
  2.2 A14B, 16 x 2 = 32 for Wan 2.2 TI2V-5B (its VAE compresses 16x). We check the
  loaded model's own multiple, so nothing is cropped behind the user's back.
- Wan 2.2 A14B has two experts: ``transformer`` (high noise) and ``transformer_2`` (low
  noise), switched at ``boundary_ratio * num_train_timesteps`` (``model_index.json``).
  ``guidance_scale_2`` is the low-noise expert's guidance, ``None`` = ``guidance_scale``;
  the pipeline raises when it is given and ``boundary_ratio`` is None (Wan 2.1, 2.2 5B).
- i2v: Wan 2.1 encodes the image with a CLIP vision model (``image_encoder`` +
  ``image_processor``) when ``transformer.config.image_dim`` is set; Wan 2.2 (A14B,
  and TI2V-5B with ``expand_timesteps``) has neither. The pipeline handles both.
- Wan 2.2 TI2V-5B is made for 704x1280 at 24 fps (121 frames): set those explicitly.
"""

from __future__ import annotations

from pathlib import Path

from vbench_lite.errors import UserError
from vbench_lite.generators.pipelines.base import Family, Knob, PipelineGenerator, model_folder, read_config

FAMILY = Family(
    name="wan",
    title="Wan 2.1/2.2",
    pipelines={"t2v": "WanPipeline", "i2v": "WanImageToVideoPipeline"},
    native=(480, 832),
    frames=81,
    fps=16.0,
    frame_step=4,
    multiple=16,
    guidance=("classifier-free guidance scale (guidance_scale, > 1 turns it on; against negative_prompt). "
              "Wan 2.2 A14B has two experts: guidance for the high-noise expert, guidance_2 for the "
              "low-noise expert"),
    guidance_default=5.0,
    steps_default=50,
    knobs=(
        Knob("guidance_2", None, "Wan 2.2 A14B only: guidance for the low-noise expert (transformer_2); "
                                 "none (default) or 0 = same as guidance", kwarg="guidance_scale_2"),
    ),
    examples={"t2v": "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "i2v": "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers"},
)


class WanGenerator(PipelineGenerator):
    family = FAMILY

    def resolve_settings(self, given):
        out = super().resolve_settings(given)
        g2 = out["guidance_2"]
        if g2 is not None and (isinstance(g2, bool) or not isinstance(g2, (int, float)) or g2 < 0):
            raise UserError(f"wan guidance_2={g2!r}: give a number >= 0, or none (same as guidance)")
        # None is what the pipeline reads as "same as guidance_scale"; 0 means the same here
        out["guidance_2"] = float(g2) if g2 else None
        try:
            folder = model_folder(out["model"])
        except UserError:
            return out  # not here yet: fingerprint() says so in one line
        two_experts = read_config(folder, "model_index.json").get("boundary_ratio") is not None
        if out["guidance_2"] and not two_experts:
            raise UserError(f"wan guidance_2={out['guidance_2']}: {out['model']} has one expert (no boundary_ratio "
                            "in model_index.json; only Wan 2.2 A14B has two); drop guidance_2")
        multiple = size_multiple(folder)
        for key in ("height", "width"):
            if out[key] % multiple:
                raise UserError(f"wan {key}={out[key]}: this model needs a multiple of {multiple} (VAE x patch "
                                f"size); try {key}={max(multiple, round(out[key] / multiple) * multiple)}")
        return out


def size_multiple(folder: Path) -> int:
    """What height and width must be multiples of for this checkpoint: the VAE's spatial
    compression times the transformer's spatial patch (``WanPipeline.__call__``)."""
    vae = read_config(folder, "vae/config.json").get("scale_factor_spatial", 8)
    tr = read_config(folder, "transformer/config.json") or read_config(folder, "transformer_2/config.json")
    patch = tr.get("patch_size", (1, 2, 2))
    return max(16, int(vae) * int(max(patch[1], patch[2])))
