"""``-g cogvideox``: CogVideoX through diffusers' ``CogVideoXPipeline`` (t2v) and
``CogVideoXImageToVideoPipeline`` (i2v: the case's first frame, plus the prompt).

Accepts: ``8k+1`` frames (native 49), height and width multiples of 16 (native
480x720), played at 8 fps. ``guidance`` is the classifier-free guidance scale
(> 1 turns it on, against ``negative_prompt``); ``use_dynamic_cfg`` ramps it over the
denoising steps on a cosine schedule instead (the i2v example turns it on). The i2v
pipeline needs an i2v checkpoint (THUDM/CogVideoX-5b-I2V); a checkpoint with learned
positional embeddings (5b-I2V) makes only its own size, checked before a run.

Facts from diffusers 0.42 ``pipelines/cogvideo/pipeline_cogvideox.py`` and
``pipeline_cogvideox_image2video.py`` (``__call__``, ``check_inputs``, examples),
``models/transformers/cogvideox_transformer_3d.py`` and
``models/autoencoders/autoencoder_kl_cogvideox.py``.
"""

from __future__ import annotations

from vbench_lite.errors import UserError
from vbench_lite.generators.pipelines.base import Family, Knob, PipelineGenerator, model_folder, read_config

FAMILY = Family(
    name="cogvideox",
    title="CogVideoX",
    pipelines={"t2v": "CogVideoXPipeline", "i2v": "CogVideoXImageToVideoPipeline"},
    # __call__ docs: "set to 480 [720] by default for the best results" (transformer sample 60x90 latents x 8)
    native=(480, 720),
    frames=49,  # transformer sample_frames=49; i2v __call__ num_frames=49
    fps=8.0,  # __call__ docs: "conditioned with (num_seconds * fps + 1) frames where num_seconds is 6 and fps is 8"
    # latents are (frames-1)//4+1 and the VAE decodes them two at a time (num_latent_frames_batch_size=2,
    # the odd one first): only an odd latent count gives back exactly the frames asked for, i.e. 8k+1
    frame_step=8,
    # check_inputs wants multiples of 8, but the transformer patches the /8 latents 2x2 (patch_size=2)
    multiple=16,
    guidance=("classifier-free guidance scale (guidance_scale; > 1 turns it on, against negative_prompt); with "
              "use_dynamic_cfg it is ramped over the denoising steps"),
    guidance_default=6.0,  # __call__ default guidance_scale=6
    steps_default=50,  # __call__ default num_inference_steps=50
    knobs=(
        Knob("use_dynamic_cfg", False, "ramp guidance over the steps on a cosine schedule (the i2v example uses it)"),
    ),
    examples={"t2v": "THUDM/CogVideoX-2b", "i2v": "THUDM/CogVideoX-5b-I2V"},
)


class CogVideoXGenerator(PipelineGenerator):
    family = FAMILY

    def resolve_settings(self, given):
        out = super().resolve_settings(given)
        fixed = fixed_size(out["model"])
        if fixed and fixed != (out["height"], out["width"]):
            raise UserError(f"cogvideox {out['height']}x{out['width']}: {out['model']} has learned positional "
                            f"embeddings and makes only {fixed[0]}x{fixed[1]}; set height={fixed[0]} width={fixed[1]}")
        return out

    def call_kwargs(self, case, settings):
        kw = super().call_kwargs(case, settings)
        # the prompt is padded to max_sequence_length tokens (default 226); the transformer's positional
        # embeddings are sized for its own max_text_seq_length, so pass that unless pipe.* overrides it
        transformer = getattr(self._pipe, "transformer", None)
        limit = getattr(getattr(transformer, "config", None), "max_text_seq_length", None)
        if limit and "max_sequence_length" not in kw:
            kw["max_sequence_length"] = limit
        return kw


def fixed_size(model: str) -> tuple[int, int] | None:
    """(height, width) a checkpoint with learned positional embeddings is limited to
    (``CogVideoXPatchEmbed`` raises for any other size), or None: any size, or the
    model is not found here (``fingerprint`` then says so)."""
    try:
        folder = model_folder(model)
    except UserError:
        return None
    tr, vae = read_config(folder, "transformer/config.json"), read_config(folder, "vae/config.json")
    if not tr.get("use_learned_positional_embeddings"):
        return None
    scale = 2 ** (len(vae.get("block_out_channels", [0] * 4)) - 1)  # the pipeline's vae_scale_factor_spatial
    return tr["sample_height"] * scale, tr["sample_width"] * scale
