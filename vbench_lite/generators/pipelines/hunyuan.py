"""HunyuanVideo (``-g hunyuanvideo``): ``HunyuanVideoPipeline`` (t2v) and
``HunyuanVideoImageToVideoPipeline`` (i2v).

Facts from diffusers 0.42 (``pipelines/hunyuan_video/pipeline_hunyuan_video.py``,
``pipeline_hunyuan_video_image2video.py``, ``models/transformers/transformer_hunyuan_video.py``):

- ``__call__`` defaults: 720x1280, ``num_frames=129``, 50 steps, ``guidance_scale=6.0``
  (t2v; 1.0 in i2v, whose example uses 6.0 for HunyuanVideo-I2V and 1.0 for -I2V-33ch),
  ``true_cfg_scale=1.0``. 129 frames are 5.4 s at the model's 24 fps (Tencent's sampler
  saves at 24 fps; diffusers' example exports at 15).
- ``check_inputs``: height and width divisible by 16 (VAE 8x, patch 2). Latent frames
  are ``(num_frames - 1) // 4 + 1`` (VAE compresses time 4x, temporal patch 1): ``4k+1``.
- ``guidance_scale`` is *embedded* guidance: the guidance-distilled transformer
  (``guidance_embeds=True``) takes it as a conditioning input, one forward pass per step.
  Real classifier-free guidance is ``true_cfg_scale``: on when > 1 *and* a negative prompt
  is given (``do_true_cfg``), two passes per step.
- Prompts go through a Llama-family encoder (``text_encoder``/``tokenizer``) wrapped in a
  ``prompt_template`` whose first ``crop_start`` tokens (95 in the default t2v template,
  103 in i2v) are cut from the embeddings, plus a CLIP text encoder
  (``text_encoder_2``/``tokenizer_2``) for the pooled embedding. The template matches the
  released tokenizer; a custom one goes through ``--set pipe.prompt_template=...``.
- i2v with ``transformer.config.image_condition_type == "latent_concat"`` (HunyuanVideo-I2V-33ch)
  drops the first 4 decoded frames (``video[:, :, 4:]``): it returns ``num_frames - 4``. We
  ask for 4 more, so the clip has the frames the case wants. ``token_replace``
  (HunyuanVideo-I2V) returns ``num_frames``. Models without ``guidance_embeds`` (-I2V-33ch)
  ignore ``guidance_scale``.
"""

from __future__ import annotations

from vbench_lite.errors import UserError
from vbench_lite.generators.pipelines.base import Family, Knob, PipelineGenerator

FAMILY = Family(
    name="hunyuanvideo",
    title="HunyuanVideo",
    pipelines={"t2v": "HunyuanVideoPipeline", "i2v": "HunyuanVideoImageToVideoPipeline"},
    native=(720, 1280),
    frames=129,
    fps=24.0,
    frame_step=4,
    multiple=16,
    guidance=("distilled (embedded) guidance strength: the model takes it as an input, one pass per step; "
              "it is not classifier-free guidance (that is true_cfg). 6.0 for HunyuanVideo and -I2V; "
              "-I2V-33ch has no guidance embedding and ignores it"),
    guidance_default=6.0,
    steps_default=50,
    knobs=(
        Knob("true_cfg", 1.0, "real classifier-free guidance scale (true_cfg_scale): > 1 runs a second, "
                              "negative pass per step against negative_prompt (empty if unset), twice the cost",
             kwarg="true_cfg_scale"),
    ),
    examples={"t2v": "hunyuanvideo-community/HunyuanVideo", "i2v": "hunyuanvideo-community/HunyuanVideo-I2V"},
)


class HunyuanVideoGenerator(PipelineGenerator):
    family = FAMILY

    def resolve_settings(self, given):
        out = super().resolve_settings(given)
        if out["true_cfg"] < 1:
            raise UserError(f"hunyuanvideo true_cfg must be >= 1 (1 = off), got {out['true_cfg']}")
        return out

    def call_kwargs(self, case, settings):
        kw = super().call_kwargs(case, settings)
        # the pipeline only runs true CFG when a negative prompt is given
        # (``do_true_cfg = true_cfg_scale > 1 and has_neg_prompt``): an unset one is the empty prompt
        if kw.get("true_cfg_scale", 1.0) > 1 and "negative_prompt" not in kw:
            kw["negative_prompt"] = ""
        config = getattr(getattr(self._pipe, "transformer", None), "config", None)
        if settings["mode"] == "i2v" and getattr(config, "image_condition_type", None) == "latent_concat":
            kw["num_frames"] += 4  # the pipeline drops the first 4 decoded frames (see above)
        return kw
