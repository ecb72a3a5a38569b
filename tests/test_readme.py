"""The README's Python examples run as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def block_after(heading: str) -> str:
    text = README.read_text()
    section = text.split(heading, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.parametrize("heading", ["## Fine-tune with GaLore+"])
def test_readme_example_runs(heading, capsys):
    exec(compile(block_after(heading), str(README), "exec"), {})
    assert "optimizer state" in capsys.readouterr().out
