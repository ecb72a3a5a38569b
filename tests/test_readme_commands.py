"""Every `reasonlab ...` command in the README's code blocks runs as written, at small sizes.

The commands are parsed out of README.md, so a command added there is run here too (it fails until
SMALL says how to run it small). They run in README order in one temporary folder, so a command reads
what an earlier one wrote (`recsys synth --out data/pair`, then `recsys train --source data/pair/...`).
Each runs in-process through the real entry point (`reasonlab.cli.main.main`), must exit 0 and must
print its key line. Size flags are overridden or appended per command; placeholders (a model folder,
a dataset file) become small real ones; commands that need what the machine lacks are skipped with
the reason.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reasonlab.core.errors import ReasonlabError
from tests.cli_runner import run_cli

README = Path(__file__).resolve().parents[1] / "README.md"


@dataclass(frozen=True)
class Small:
    """How to run one subcommand small: flags to override (or append when absent), the line it must
    print (a regex), and what it needs that a machine may lack."""

    flags: tuple[tuple[str, str | None], ...] = ()  # (flag, value); None: a switch; --set: appended
    prints: str = ""
    needs: tuple[str, ...] = ()


LLM_SMALL = (("--num-problems", "2"), ("-n", "2"), ("--no-progress", None))
SMALL = {
    "": Small(prints=r"reasonlab"),  # `reasonlab --help`, `reasonlab --version`
    "tasks list": Small(prints=r"arith"),
    "tasks sample": Small(prints=r"question: .*\n(.|\n)*answer: "),
    "models list": Small(prints=r"testbed:target"),
    "runs list": Small(prints=r"finished"),
    "runs compare": Small(prints=r"B - A|every figure is the same"),
    "evaluate": Small(LLM_SMALL + (("--max-tokens", "64"),), r"run folder: runs/evaluate-"),
    "generate": Small(
        LLM_SMALL + (("--max-tokens", "16"), ("--thinking-budget", "8")), r"run folder: runs/generate-"
    ),
    "fractured": Small(
        LLM_SMALL + (("-n", "2"), ("-H", "2"), ("-m", "2"), ("--max-tokens", "64")),
        r"run folder: runs/fractured-",
    ),
    "budget": Small(
        LLM_SMALL + (("--thinking", "8,-1"), ("--max-thinking", "32")), r"run folder: runs/budget-"
    ),
    # --work-dir in the temporary folder: training never writes the package (it refuses to).
    "testbed train": Small(
        (
            ("--steps", "1"),
            ("--no-compile", None),
            ("--work-dir", "runs/testbed-train"),
            ("--no-progress", None),
        ),
        r"saved runs/testbed-train/model",
    ),
    "rl train": Small(
        (
            ("--steps", "1"),
            ("--prompts-per-step", "2"),
            ("--num-generations", "2"),
            ("--max-tokens", "32"),
            ("--budget", "8,16"),
            ("--no-progress", None),
        ),
        r"policy: runs/rl-.*/model",
    ),
    "prm data": Small(
        (("--num-problems", "2"), ("-n", "1"), ("--max-tokens", "48"), ("--no-progress", None)),
        r"solutions, \d+ steps",
    ),
    "prm train": Small(
        (("--steps", "2"), ("--batch-size", "2"), ("--no-progress", None)), r"PRM: runs/prm/model"
    ),
    "rsd": Small(
        (
            ("--num-problems", "2"),
            ("--max-tokens", "32"),
            ("--best-of", "1,2"),
            ("--chunk", "2"),
            ("--no-progress", None),
        ),
        r"plot: runs/rsd-",
    ),
    "probe": Small(
        (
            ("--num-problems", "2"),
            ("-n", "2"),
            ("--max-tokens", "48"),
            ("--perturbations", "question-removal,step-shuffle"),
            ("--no-progress", None),
        ),
        r"run folder: runs/probe-",
    ),
    "prune score": Small(
        (("--model", "testbed:draft"), ("--num-texts", "2"), ("--seq-len", "64"), ("--no-progress", None)),
        r"run folder: runs/prune-",
    ),
    "prune drop": Small(
        (
            ("--model", "testbed:draft"),
            ("--num-texts", "2"),
            ("--seq-len", "64"),
            ("--heldout", "2"),
            ("--decode-tokens", "4"),
            ("--no-progress", None),
        ),
        r"pruned model: runs/target-pruned",
    ),
    "merge": Small(
        (("--models", "testbed:draft,testbed:draft,testbed:draft"), ("--no-progress", None)),
        r"merged \d+ tensors of 3 models by linear",
    ),
    # Replaces the package's shipped model: tests/testbed/test_ship.py runs it on a copy.
    "testbed ship": Small(needs=("package",)),
    "optim bench": Small(
        (
            ("--hidden", "64"),
            ("--mlp", "128"),
            ("--heads", "4"),
            ("--rank", "8"),
            ("--ft-hidden", "64"),
            ("--ft-rank", "8"),
            ("--ft-steps", "2"),
            ("--ft-gaps", "2"),
            ("--no-progress", None),
        ),
        r"report: .*report\.md",
    ),
    "recsys synth": Small(
        tuple(
            ("--set", f"{k}={v}")
            for k, v in dict(source_users=120, target_users=120, source_items=60, target_items=50).items()
        ),
        r"wrote data/pair/source and data/pair/target",
        needs=("recsys",),
    ),
    "recsys train": Small(
        (("--epochs", "1"), ("--set", "dim=8"), ("--no-progress", None)),
        r"run folder: runs/recsys-",
        ("recsys",),
    ),
    "recsys bench": Small(
        (("--models", "pop,bprmf"), ("--seeds", "0"), ("--epochs", "1"), ("--no-progress", None)),
        r"run folder: runs/recsys-bench-",
        ("recsys",),
    ),
    "grounding synth": Small(
        (("--num-samples", "4"), ("--no-progress", None)), r"wrote 4 samples", ("chromium",)
    ),
    "grounding eval": Small(
        (("--no-progress", None), ("--gallery", "2")),
        r"run folder: runs/grounding-",
        ("chromium", "tesseract"),
    ),
}


def _missing(need: str) -> str | None:
    """Why `need` is unavailable here, or None."""
    import importlib.util

    if need == "vllm":
        import torch

        if importlib.util.find_spec("vllm") is None or not torch.cuda.is_available():
            return "needs vLLM and a CUDA GPU"
    elif need == "package":
        return "writes the package's shipped models (tests/testbed/test_ship.py runs it on a copy)"
    elif need == "server":
        return "needs an OpenAI-compatible model server at --base-url"
    elif need == "chromium":
        from reasonlab.grounding.browser import chromium_path

        try:
            chromium_path()
        except ReasonlabError:
            return "needs Chromium"
        if importlib.util.find_spec("playwright") is None:
            return "needs playwright (the grounding extra)"
    elif need == "tesseract":
        if shutil.which("tesseract") is None or importlib.util.find_spec("pytesseract") is None:
            return "needs tesseract and pytesseract"
    elif need == "recsys":
        if any(importlib.util.find_spec(m) is None for m in ("faiss", "torch_geometric", "scipy")):
            return "needs the recsys extra"
    elif importlib.util.find_spec(need) is None:
        return f"needs {need}"
    return None


def readme_commands() -> list[list[str]]:
    """argv (after `reasonlab`) of every `reasonlab` line in the README's code blocks, in order;
    backslash continuations joined, comments dropped."""
    commands = []
    for block in re.findall(r"```(?:bash|sh|console|shell)?\n(.*?)```", README.read_text(), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["reasonlab"]:
                commands.append(words[1:])
    return commands


def subcommand(argv: list[str]) -> str:
    """The longest run of leading words that names an entry of SMALL ("recsys synth", "evaluate")."""
    words = []
    for word in argv:
        if word.startswith("-"):
            break
        words.append(word)
    for k in range(len(words), 0, -1):
        if " ".join(words[:k]) in SMALL:
            return " ".join(words[:k])
    return " ".join(words)


def needs(argv: list[str]) -> list[str]:
    """What this command line needs beyond its subcommand's needs (flags that pick a backend)."""
    extra = []
    if "--engine" in argv and argv[argv.index("--engine") + 1] == "vllm":
        extra.append("vllm")
    if "--adapter" in argv and argv[argv.index("--adapter") + 1] == "openai":
        extra.append("server")
    return extra


def small(argv: list[str], spec: Small, placeholders: dict[str, str]) -> list[str]:
    """The command with placeholders replaced and size flags overridden or appended."""
    argv = [placeholders.get(word, word) for word in argv]
    for flag, value in spec.flags:
        if flag in argv and value is not None and flag != "--set":
            argv[argv.index(flag) + 1] = value
        elif flag not in argv or flag == "--set":
            argv += [flag] if value is None else [flag, value]
    return argv


COMMANDS = readme_commands()


def test_the_readme_shows_commands():
    assert len(COMMANDS) >= 10 and ["tasks", "list"] in COMMANDS


@dataclass
class Workspace:
    """One temporary folder where the README's commands run in order."""

    root: Path
    static: dict[str, str]
    done: set[int] = field(default_factory=set)

    @property
    def placeholders(self) -> dict[str, str]:
        """The README's stand-ins: a model folder, a dataset, and runs/A, runs/B for the first two
        run folders the commands before have finished."""
        runs = self.root / "runs"
        finished = (
            sorted(p for p in runs.iterdir() if (p / "summary.json").is_file()) if runs.is_dir() else []
        )
        found = {f"runs/{x}": f"runs/{p.name}" for x, p in zip("AB", finished)}
        return {**self.static, **found}


def shipped_files() -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file of the package's shipped testbed models."""
    from reasonlab.testbed.handles import TESTBED_DIR

    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in TESTBED_DIR.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, tiny_dir):
    """The folder, and afterwards a check that no command wrote the package's shipped models."""
    root = tmp_path_factory.mktemp("readme-commands")
    problems = [
        {"problem": "What is $1+2$?", "answer": "3"},
        {"problem": "What is $2 \\times 3$?", "answer": "6"},
    ]
    (root / "math500.jsonl").write_text("".join(json.dumps(p) + "\n" for p in problems))
    before = shipped_files()
    yield Workspace(root, {"path/to/hf-model": str(tiny_dir), "math500.jsonl": "math500.jsonl"})
    assert shipped_files() == before, "a README command changed the package's shipped models"


@pytest.mark.parametrize("index", range(len(COMMANDS)), ids=[" ".join(c)[:60] for c in COMMANDS])
def test_readme_command_runs(index, workspace, monkeypatch, capsys):
    argv = COMMANDS[index]
    name = subcommand(argv)
    assert name in SMALL, f"README command `reasonlab {' '.join(argv)}`: add {name!r} to SMALL"
    spec = SMALL[name]
    for need in (*spec.needs, *needs(argv)):
        if (why := _missing(need)) is not None:
            pytest.skip(f"`reasonlab {' '.join(argv)}` {why}")
    monkeypatch.chdir(workspace.root)
    monkeypatch.setenv("COLUMNS", "200")  # one line per printed path, whatever the terminal
    for earlier in range(index):  # what earlier commands write (when run alone with -k)
        if earlier not in workspace.done:
            workspace.done.add(earlier)
            prior = COMMANDS[earlier]
            spec_e = SMALL.get(subcommand(prior))
            if spec_e and all(_missing(n) is None for n in (*spec_e.needs, *needs(prior))):
                run_cli(monkeypatch, capsys, *small(prior, spec_e, workspace.placeholders))
    workspace.done.add(index)
    line = small(argv, spec, workspace.placeholders)
    code, out, err = run_cli(monkeypatch, capsys, *line)
    assert code == 0, f"`reasonlab {shlex.join(line)}` exited {code}: {err.strip()[-2000:]}"
    assert re.search(spec.prints, out), f"`reasonlab {shlex.join(line)}` printed:\n{out[-2000:]}"
