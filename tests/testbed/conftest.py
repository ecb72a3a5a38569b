import hashlib
import importlib.util
import shutil
from pathlib import Path

import pytest

from reasonlab.testbed.handles import TESTBED_DIR


def tree_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path (what "byte-identical" means here)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def shipped(tmp_path, monkeypatch) -> Path:
    """A temporary copy of the package's shipped models, patched in wherever TESTBED_DIR is read, so
    that no test can touch the real shipped files."""
    copy = tmp_path / "package-models"
    shutil.copytree(TESTBED_DIR, copy)
    for module in (
        "reasonlab.testbed.handles",
        "reasonlab.testbed.presets",
        "reasonlab.testbed.train",
        "reasonlab.testbed.ship",
    ):
        if importlib.util.find_spec(module) is not None:
            monkeypatch.setattr(f"{module}.TESTBED_DIR", copy)
    return copy
