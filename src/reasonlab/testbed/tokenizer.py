"""The testbed's character-level tokenizer, saved as a real `PreTrainedTokenizerFast`.

Every printable ASCII character (plus newline and tab) is one token; chat roles, end-of-sequence
and padding are special tokens, and the thinking markers are single (non-special) added tokens.
The chat template opens thinking on `add_generation_prompt=True`, exactly like Qwen3 /
DeepSeek-R1-Distill:

    <|user|>Compute 3+4 from left to right.<|assistant|><think>\\n
"""

from __future__ import annotations

import string

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

SPECIAL_TOKENS = [
    "<|pad|>",
    "<|endoftext|>",
    "<unk>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<think>",
    "</think>",
]
CHARS = [c for c in string.printable if c not in "\x0b\x0c\r"]  # 97 characters incl. space, \n, \t

CHAT_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'system' %}<|system|>{{ m['content'] }}"
    "{% elif m['role'] == 'user' %}<|user|>{{ m['content'] }}"
    "{% elif m['role'] == 'assistant' %}<|assistant|>{{ m['content'] }}<|endoftext|>"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|><think>\n{% endif %}"
)


def build_tokenizer() -> PreTrainedTokenizerFast:
    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS + CHARS)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<|pad|>",
        eos_token="<|endoftext|>",
        unk_token="<unk>",
        additional_special_tokens=SPECIAL_TOKENS[3:6],
        chat_template=CHAT_TEMPLATE,
        clean_up_tokenization_spaces=False,
        model_max_length=2048,
    )
    # Like Qwen3, the thinking markers are added tokens but not "special": decoding with
    # skip_special_tokens=True keeps them in the text, so the thinking can be split off.
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in SPECIAL_TOKENS[6:]])
    return tok
