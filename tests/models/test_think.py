import pytest
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from reasonlab.core.errors import ReasonlabError
from reasonlab.models.loading import chat_prompt_ids
from reasonlab.models.think import detect_think_format
from reasonlab.testbed.tokenizer import build_tokenizer


def plain_tokenizer():
    """A tokenizer with no thinking tokens (like a base model)."""
    vocab = {c: i for i, c in enumerate(["<pad>", "<eos>", "<unk>"] + list("abc<>/thinkx \n"))}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>"
    )


def test_testbed_markers_are_single_token_ids():
    tok = build_tokenizer()
    think = detect_think_format(tok)
    assert think.open_ids == (tok.convert_tokens_to_ids("<think>"),)
    assert think.close_ids == (tok.convert_tokens_to_ids("</think>"),)
    assert think.prompt_opens_thinking(chat_prompt_ids(tok, "hi"))


def test_split_at_the_close_marker_ids():
    tok = build_tokenizer()
    think = detect_think_format(tok)
    ids = tok.encode("1+2=3\n\n3*2=6</think>\n\n\\boxed{6}", add_special_tokens=False)
    thinking, solution, closed = think.split(ids)
    assert closed and tok.decode(thinking) == "1+2=3\n\n3*2=6" and tok.decode(solution) == "\n\n\\boxed{6}"
    assert think.split(ids[:5]) == (ids[:5], [], False)


def test_model_without_markers_fails_only_where_they_are_required():
    think = detect_think_format(plain_tokenizer(), model_name="base-model")
    assert not think.has_markers and think.split([1, 2]) == ([1, 2], [], False)
    with pytest.raises(ReasonlabError, match="base-model has no thinking markers.*thinking budget"):
        think.require("a thinking budget")


def test_markers_can_be_given_by_flag_as_multi_token_sequences():
    tok = plain_tokenizer()
    think = detect_think_format(tok, open_text="<think>", close_text="</think>")
    assert think.close_ids == tuple(tok.encode("</think>", add_special_tokens=False))
    assert len(think.close_ids) == 8 and think.has_markers
