import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.engines import SamplingParams


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"n": 0}, "n must be at least 1"),
        ({"top_p": 0.0}, "top_p must be in"),
        ({"top_p": 1.5}, "top_p must be in"),
        ({"max_tokens": 0}, "max_tokens must be at least 1"),
        ({"temperature": -1}, "temperature must be >= 0"),
        ({"top_k": -5}, "top_k must be"),
        ({"stop": [""]}, "stop strings must be non-empty"),
    ],
)
def test_invalid_sampling_params(kwargs, message):
    with pytest.raises(ReasonlabError, match=message):
        SamplingParams(**kwargs)


def test_a_single_stop_string_is_accepted():
    assert SamplingParams(stop="\n\n").stop == ("\n\n",)
