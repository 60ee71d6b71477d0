"""A tiny word-level tokenizer and T5 text encoder, built offline, for tiny
diffusers pipelines (the real pipeline classes run their real prompt path)."""

from __future__ import annotations

WORDS = ("a an the of in on at and with to from is are ball balls red blue green yellow cat dog person man woman "
         "car cars bird birds camera pans zooms slowly fast falls falling bounces rolls rolling table street "
         "candle burns water pours glass ice melts behind pillar wall box boxes three two one walks runs").split()


def tiny_tokenizer(max_length: int = 16):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    vocab.update({w: i + 3 for i, w in enumerate(dict.fromkeys(WORDS))})
    tk = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                   model_max_length=max_length)


def tiny_t5(d_model: int = 16, seed: int = 0):
    import torch
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(seed)
    cfg = T5Config(vocab_size=len(WORDS) + 8, d_model=d_model, d_kv=8, d_ff=32, num_layers=1, num_heads=2,
                   relative_attention_num_buckets=8, pad_token_id=0, eos_token_id=1)
    return T5EncoderModel(cfg).eval()
