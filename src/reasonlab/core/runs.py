"""Run folders: config.json, samples.jsonl, summary.json, plots and report.md, written atomically.

A run is built in `<out>.partial/` and renamed to `<out>/` only when it finishes, so a crash never
leaves a half-written run folder behind. Samples are appended (and flushed) item by item into the
partial folder; rerunning the same command with the same config resumes from where it stopped.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ReasonlabError


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a whole file or nothing: write a temp file beside it, then rename over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_json(path: Path, obj: Any) -> None:
    write_atomic(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


class Run:
    """A run folder under construction. Use `Run.open(out, config)` then `finish()`."""

    def __init__(self, out: Path, config: dict[str, Any]):
        self.out = Path(out)
        self.partial = self.out.with_name(self.out.name + ".partial")
        self.config = config
        self._done: dict[str, dict[str, Any]] = {}

    @classmethod
    def open(cls, out: str | Path, config: dict[str, Any], overwrite: bool = False) -> Run:
        run = cls(Path(out), config)
        if run.out.exists():
            if not overwrite:
                raise ReasonlabError(f"run folder {run.out} already exists (pass --overwrite to replace it)")
        config_path = run.partial / "config.json"
        if config_path.exists():
            previous = json.loads(config_path.read_text())
            if previous != config:
                # A different job left this partial folder: start over rather than mix results.
                shutil.rmtree(run.partial)
            else:
                run._load_done()
        write_json(config_path, config)
        return run

    def _load_done(self) -> None:
        path = self.partial / "samples.jsonl"
        if not path.exists():
            return
        good_bytes = 0
        with path.open("rb") as f:
            for line in f:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    break  # a line cut by the interruption: drop it and what follows
                if not line.endswith(b"\n"):
                    break
                self._done[str(record["id"])] = record
                good_bytes += len(line)
        with path.open("r+b") as f:
            f.truncate(good_bytes)

    @property
    def resumed(self) -> int:
        """How many records were recovered from an interrupted run."""
        return len(self._done)

    def done(self, item_id: str) -> dict[str, Any] | None:
        return self._done.get(str(item_id))

    def add(self, record: dict[str, Any]) -> None:
        """Append one finished item (it must carry an 'id') and flush it to disk."""
        with (self.partial / "samples.jsonl").open("a") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self._done[str(record["id"])] = record

    def records(self) -> Iterator[dict[str, Any]]:
        yield from self._done.values()

    def path(self, name: str) -> Path:
        """Where to write an extra artifact (plot, report) inside the run under construction."""
        return self.partial / name

    def finish(self, summary: dict[str, Any], report: str) -> Path:
        write_json(self.partial / "summary.json", summary)
        write_atomic(self.partial / "report.md", report)
        if self.out.exists():
            shutil.rmtree(self.out)
        os.replace(self.partial, self.out)
        return self.out
