"""The README's Python examples run as written, and the package imports light."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def block_after(heading: str) -> str:
    text = README.read_text()
    section = text.split(heading, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.parametrize(
    "heading,printed",
    [
        ("From Python:", r"\[(1\.0|0\.0)(, (1\.0|0\.0)){3}\] Usage\(generated=\d+"),
        ("## Fine-tune with GaLore+", r"loss \d+\.\d+, optimizer state \d+\.\d+ MB"),
    ],
)
def test_readme_example_runs(heading, printed, capsys):
    exec(compile(block_after(heading), str(README), "exec"), {})
    assert re.search(printed, capsys.readouterr().out)


def test_importing_the_package_does_not_import_torch():
    """`reasonlab --help` and bad-flag errors must answer fast: torch loads only when a name needs it."""
    code = "import sys, reasonlab; from reasonlab import ReasonlabError; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
