"""The testbed's model handles: `testbed:random` (built in memory) and one per shipped model folder.

`reasonlab/__init__.py` registers `handles` with the models layer's registry under the prefix
"testbed", so models/ serves these names without importing the testbed. The folder is read on every
call: shipping a model (testbed/ship.py) changes it, and tests point TESTBED_DIR at a copy.
"""

from __future__ import annotations

from pathlib import Path

from reasonlab.models.registry import Handle

TESTBED_DIR = Path(__file__).resolve().parent / "models"  # shipped weights and cards (package data)
PREFIX = "testbed"


def _random_llama():
    from reasonlab.testbed.random_model import random_llama  # torch: only when the model is built

    return random_llama()


def handles() -> dict[str, Handle]:
    """`testbed:random` always; `testbed:<name>` for each shipped folder with a config.json."""
    found = {
        f"{PREFIX}:random": Handle(
            "randomly initialised small Llama (engine tests, benchmarks)", build=_random_llama
        )
    }
    if TESTBED_DIR.is_dir():
        for d in sorted(TESTBED_DIR.iterdir()):
            if not d.name.startswith(".") and (d / "config.json").is_file():
                found[f"{PREFIX}:{d.name}"] = Handle(f"trained testbed model ({d})", path=d)
    return found
