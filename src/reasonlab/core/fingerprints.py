"""Fingerprints of a run's input files: size, mtime and a sha256 of the contents.

A run records them in config.json so that a rerun can tell whether its data is still the data the
run began with. Contents decide (the hash); mtime is recorded to explain a change, never to detect
one, because `touch`, a copy or a fresh clone changes it without changing the data. A folder (a
RecBole dataset, a benchmark layout) is fingerprinted file by file, so a change names the file.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ReasonlabError

Fingerprint = dict[str, Any]


def _mtime(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# A model folder's card: measured after training and rewritten at will, never read by the model.
CARD_FILES = ("README.md", "evaluation.json", "training_log.json")
CARD_SUFFIXES = (".png",)


def _without_card(files: dict[str, Any]) -> dict[str, Any]:
    """A folder's files by relative path, less a model card's (top-level card files of a folder with
    config.json at its top). Also applied to recorded fingerprints, so runs recorded before cards
    were left out still compare equal."""
    if "config.json" not in files:
        return files
    card = lambda name: "/" not in name and (name in CARD_FILES or name.endswith(CARD_SUFFIXES))  # noqa: E731
    return {name: value for name, value in files.items() if not card(name)}


def fingerprint(path: str | Path) -> Fingerprint:
    """{path, size, mtime, sha256} of a file; a folder adds {files: {relative path: sha256}} and its
    size, mtime and sha256 cover every file under it (sizes summed, latest mtime, hash of hashes).
    A model folder's card is left out: rewriting it does not make a run's inputs stale."""
    path = Path(path)
    if path.is_file():
        st = path.stat()
        return {"path": str(path), "size": st.st_size, "mtime": _mtime(st.st_mtime), "sha256": _sha256(path)}
    if not path.is_dir():
        raise ReasonlabError(f"{path}: no such file or folder")
    files = _without_card({p.relative_to(path).as_posix(): p for p in sorted(path.rglob("*")) if p.is_file()})
    hashes = {name: _sha256(p) for name, p in files.items()}
    stats = [p.stat() for p in files.values()]
    listing = "".join(f"{name}\0{sha}\n" for name, sha in hashes.items())
    return {
        "path": str(path),
        "size": sum(s.st_size for s in stats),
        "mtime": _mtime(max((s.st_mtime for s in stats), default=path.stat().st_mtime)),
        "sha256": hashlib.sha256(listing.encode()).hexdigest(),
        "files": hashes,
    }


def input_fingerprints(inputs: dict[str, str | Path | None]) -> dict[str, Fingerprint]:
    """Fingerprints of a job's input files by role ({"dataset": path}); unset inputs (None) are left out."""
    return {name: fingerprint(path) for name, path in inputs.items() if path}


def describe_change(old: Fingerprint, new: Fingerprint) -> str | None:
    """None when the contents are the same (whatever the mtime), else one phrase naming what changed."""
    if old.get("sha256") == new.get("sha256"):
        return None
    where = new["path"]
    if "files" in old and "files" in new:
        before, after = _without_card(old["files"]), _without_card(new["files"])
        names = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        if not names:
            return None
        name = names[0]
        state = "was removed" if name not in after else "was added" if name not in before else "changed"
        others = f" (and {len(names) - 1} other files)" if len(names) > 1 else ""
        return f"{Path(where) / name} {state}{others} since the run began"
    parts = [f"sha256 {old['sha256'][:12]} -> {new['sha256'][:12]}"]
    if old.get("size") != new.get("size"):
        parts.insert(0, f"size {old.get('size')} -> {new.get('size')} bytes")
    else:
        parts.insert(0, "same size, other contents")
    if old.get("mtime") != new.get("mtime"):
        parts.append(f"modified {old.get('mtime')} -> {new.get('mtime')}")
    return f"{where} changed since the run began ({', '.join(parts)})"
