"""Layers import downwards only (docs/ARCHITECTURE.md): every import of every module, lazy ones
inside functions included, goes to its own package or to a lower layer."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "reasonlab"

# docs/ARCHITECTURE.md, bottom to top. A package imports its own modules and packages of a lower rank;
# packages of one rank are independent of each other. `reasonlab/__init__.py` sits above them all: it
# re-exports the public names and wires the testbed's model handles into the models registry.
RANK = {
    "core": 0,
    "models": 1,
    "tasks": 1,
    "training": 1,  # the shared training loop: schedule, checkpoints, metrics
    "engines": 2,
    "rewards": 2,
    "testbed": 3,  # trains models on tasks' traces; registers its handles with models; ships PRMs
    "sampling": 3,
    "recsys": 3,
    "grounding": 3,
    "optim": 3,
    "pruning": 3,  # block scores and drop orders; the drops themselves are models/pruned.py
    "merging": 3,  # parameter-space merges of model folders (reads them through models' resolver)
    "jobs": 4,
    "rl": 5,  # a job family: its config extends jobs.common.RunInputs
    "prm": 5,  # PRM data (policies through engines, testbed labels) and training; uses jobs.common
    "speculative": 6,  # RSD: engines, a PRM (rewards) and prm's step splitting
    "cli": 7,
}
# Narrower rules the document states: "independent of engines"; "optim/ imports only core".
ONLY = {"recsys": {"core"}, "grounding": {"core"}, "optim": {"core"}, "training": {"core"}}
# Known exceptions: (importing module, imported package) -> why. Each is a debt to pay, not a rule.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(name: str, source: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in `source`, wherever it sits; relative imports are
    resolved against module `name`, and `import_module("reasonlab....")` calls count too."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            # `from reasonlab import testbed` imports a package; `from reasonlab import load_model`, the
            # top module (reasonlab/__init__.py), which is above every layer.
            found += [
                (node.lineno, f"{base}.{a.name}" if base == "reasonlab" and a.name in RANK else base)
                for a in node.names
                if not (base == "reasonlab" and a.name == "__version__")  # metadata, not code
            ]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def upward_imports(name: str, source: str, is_package: bool = False) -> list[str]:
    """The imports of module `name` that break the layering, as readable lines."""
    parts = name.split(".")
    if len(parts) < 2:  # reasonlab/__init__.py: the top
        return []
    here = parts[1]
    bad = []
    for line, target in imported_modules(name, source, is_package):
        tparts = target.split(".")
        if tparts[0] != "reasonlab" or (len(tparts) > 1 and tparts[1] == here):
            continue
        there = tparts[1] if len(tparts) > 1 else "reasonlab (the top module)"
        if len(tparts) == 1:
            bad.append(f"{name}:{line} imports the top module reasonlab: import from the layer itself")
        elif there not in RANK:
            bad.append(f"{name}:{line} imports {target}: package {there!r} has no layer in this test")
        elif (name, there) in EXCEPTIONS:
            continue
        elif RANK[there] >= RANK[here] or (here in ONLY and there not in ONLY[here]):
            bad.append(f"{name}:{line} imports {target} ({here} may not import {there})")
    return bad


def test_every_package_has_a_layer():
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and any(p.rglob("*.py"))}
    assert packages == set(RANK), "map new packages to their layer (docs/ARCHITECTURE.md)"


def test_no_module_imports_a_higher_layer():
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        bad += upward_imports(module_name(path), path.read_text(), path.name == "__init__.py")
    assert bad == []


def test_exceptions_are_still_needed():
    """An exception whose import is gone must leave the list."""
    used = set()
    for path in sorted(SRC.rglob("*.py")):
        name = module_name(path)
        for _, target in imported_modules(name, path.read_text(), path.name == "__init__.py"):
            if target.startswith("reasonlab.") and (name, target.split(".")[1]) in EXCEPTIONS:
                used.add((name, target.split(".")[1]))
    assert used == set(EXCEPTIONS)


def test_the_check_sees_lazy_relative_and_dynamic_upward_imports():
    source = (
        "from reasonlab.core.errors import ReasonlabError\n"
        "def load():\n"
        "    from reasonlab.testbed.random_model import random_llama\n"
        "    from ..jobs import generate\n"
        "    import_module('reasonlab.cli.main')\n"
    )
    bad = upward_imports("reasonlab.models.loading", source)
    assert [b.split(" (")[0] for b in bad] == [
        "reasonlab.models.loading:3 imports reasonlab.testbed.random_model",
        "reasonlab.models.loading:4 imports reasonlab.jobs",
        "reasonlab.models.loading:5 imports reasonlab.cli.main",
    ]
    assert upward_imports("reasonlab.recsys.data", "from reasonlab.engines import create_engine") != []
    assert upward_imports("reasonlab.sampling.budget", "from reasonlab import recsys") != []
    assert upward_imports("reasonlab.engines.hf", "from reasonlab import load_model") != []
    assert upward_imports("reasonlab.cli.main", "from reasonlab import __version__") == []
    assert upward_imports("reasonlab.jobs.generate", "from reasonlab.sampling import budget") == []
