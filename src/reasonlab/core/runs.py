"""Run folders: config.json, samples.jsonl, summary.json, plots and report.md, written atomically.

A run is built in `<out>.partial/` and renamed to `<out>/` only when it finishes, so a crash never
leaves a half-written run folder behind. Samples are appended (and flushed) item by item into the
partial folder; rerunning the same command with the same config resumes from where it stopped.
config.json also holds fingerprints of the run's input files (core/fingerprints.py): a resume whose
data changed is refused, naming the file, and default run names hash the contents, not paths alone.
`open_run` is the one lifecycle every command that writes a run folder goes through.
Generated data sets (`data_folder`) are built the same way, and replace existing data only when told.
A folder that cannot be made (a file in the way, no permission) is the user's input: one line naming
the path and the OS's reason. Files are created with the mode the user's umask gives.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.fingerprints import Fingerprint, describe_change, input_fingerprints

RESUME_LINE = "interrupted: rerun the same command to resume"


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C inside a run's lifecycle; its message is the one line the CLI prints (exit code 130)."""


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a whole file or nothing: write a temp file beside it, then rename over.

    The temp file is created with mode 0666 so the kernel applies the user's umask, as for any
    other file (mkstemp's 0600 made config.json private while samples.jsonl was not)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    write_atomic(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def truncate_jsonl(path: Path, keep: Callable[[dict[str, Any]], bool] = lambda record: True) -> list:
    """The records of an appended JSONL file up to its first torn line (a kill mid-append leaves
    half a line) or the first record `keep` refuses; the file is cut after them. [] if absent."""
    if not path.exists():
        return []
    records, good_bytes = [], 0
    with path.open("rb") as f:
        for line in f:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                break
            if not line.endswith(b"\n") or not keep(record):
                break
            records.append(record)
            good_bytes += len(line)
    with path.open("r+b") as f:
        f.truncate(good_bytes)
    return records


def _recipe(config: dict[str, Any], volatile: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in volatile}


def same_recipe(folder: Path, config: dict[str, Any], volatile: tuple[str, ...] = ()) -> bool:
    """Whether the run in `folder` (finished or partial: its config.json) was made with `config`,
    the `volatile` keys aside (settings that do not change results, such as the device)."""
    saved = json.loads((Path(folder) / "config.json").read_text())
    saved.pop("inputs", None)  # the input fingerprints the run recorded beside its config
    return _recipe(saved, volatile) == _recipe(json.loads(json.dumps(config)), volatile)


def default_run_dir(
    command: str, config: dict[str, Any], inputs: dict[str, Fingerprint], volatile: tuple[str, ...] = ()
) -> Path:
    """runs/<command>-<hash>: the same command on the same data lands in (and resumes) the same folder.

    The hash covers the config and the inputs' contents (sha256, not mtime: `touch` or a fresh clone
    keeps the name); edited data gets a new folder instead of stale results. Without input files it
    is the config's hash alone, as before inputs were fingerprinted."""
    config = _recipe(config, volatile)
    keyed = {**config, "inputs": {k: v["sha256"] for k, v in inputs.items()}} if inputs else config
    digest = hashlib.sha1(json.dumps(keyed, sort_keys=True).encode()).hexdigest()[:8]
    return Path(f"runs/{command}-{digest}")


def make_folder(path: Path, what: str) -> None:
    """`mkdir -p` whose failure is the user's input, not a bug: one line naming `what` and the OS's
    reason (a file where a folder should be, no permission, a read-only or virtual file system)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
        reason = f"{blocker} is a file, not a folder" if blocker else (e.strerror or str(e))
        raise ReasonlabError(f"cannot create {what}: {reason}") from None


@contextmanager
def data_folder(out: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Build a data set in `<out>.partial`, yielded, and rename it to `<out>` when the block ends.

    A failed or interrupted build leaves nothing behind, and an existing non-empty `<out>` is
    replaced only with `overwrite` (an empty folder holds nothing to lose)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReasonlabError(f"{out} is a file, not a data folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ReasonlabError(f"data folder {out} already exists (pass --overwrite to replace it)")
    partial = out.with_name(out.name + ".partial")
    if partial.is_dir():
        shutil.rmtree(partial)  # left by a build that was killed outright
    make_folder(partial, f"data folder {out}")
    try:
        yield partial
        if out.is_dir():
            shutil.rmtree(out)
        os.replace(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


class Run:
    """A run folder under construction. Use `open_run` (or `Run.open(out, config)`) then `finish()`."""

    def __init__(self, out: Path, config: dict[str, Any], inputs: dict[str, Fingerprint] | None = None):
        self.out = Path(out)
        self.partial = self.out.with_name(self.out.name + ".partial")
        self.config = config
        self.inputs = inputs or {}
        self._done: dict[str, dict[str, Any]] = {}

    @classmethod
    def open(
        cls,
        out: str | Path,
        config: dict[str, Any],
        overwrite: bool = False,
        inputs: dict[str, Fingerprint] | None = None,
        resumes: bool = True,
        volatile: tuple[str, ...] = (),
    ) -> Run:
        """Create `<out>.partial/`, or reopen it to resume when it was left by the same config on the
        same input contents. A partial of another config starts over; one whose inputs changed is
        refused (naming the file) unless `overwrite`; a job that cannot resume always starts over.
        `volatile` config keys (how often to checkpoint, which device) may change on a resume."""
        # Compared as JSON reads it back: a tuple in a config (recsys ks) is a list in config.json.
        config = json.loads(json.dumps(config))
        run = cls(Path(out), config, inputs)
        if run.out.exists():
            if not run.out.is_dir():
                raise ReasonlabError(f"{run.out} is a file, not a run folder")
            if not overwrite:
                raise ReasonlabError(f"run folder {run.out} already exists (pass --overwrite to replace it)")
        if run.partial.exists() and not run.partial.is_dir():
            raise ReasonlabError(f"{run.partial} is a file, not a run folder")
        config_path = run.partial / "config.json"
        if config_path.exists():
            previous = json.loads(config_path.read_text())
            before = previous.pop("inputs", {})
            if _recipe(previous, volatile) != _recipe(config, volatile) or not resumes:
                # A different job (or one that cannot resume) left this partial folder: start over
                # rather than mix results.
                shutil.rmtree(run.partial)
            elif change := _input_change(before, run.inputs):
                if not overwrite:
                    raise ReasonlabError(f"cannot resume {run.out}: {change}; pass --overwrite to start over")
                shutil.rmtree(run.partial)
            else:
                run._load_done()
        make_folder(run.partial, f"run folder {run.out}")
        write_json(config_path, {**config, "inputs": run.inputs} if run.inputs else config)
        return run

    def _load_done(self) -> None:
        for record in truncate_jsonl(self.partial / "samples.jsonl"):
            self._done[str(record["id"])] = record

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

    def finish(self, summary: dict[str, Any] | None = None, report: str | None = None) -> Path:
        """Write summary.json and report.md (unless the job wrote its own) and rename the folder."""
        if summary is not None:
            write_json(self.partial / "summary.json", summary)
        if report is not None:
            write_atomic(self.partial / "report.md", report)
        if self.out.exists():
            shutil.rmtree(self.out)
        os.replace(self.partial, self.out)
        return self.out


def recorded_input_change(folder: Path, inputs: dict[str, str | Path | None]) -> str | None:
    """What differs between the inputs a finished run in `folder` recorded and `inputs` today, by
    contents, among the inputs both name (a run made before an input was fingerprinted passes);
    None if alike. How a chain of runs tells a reusable finished run from a stale one."""
    before = json.loads((Path(folder) / "config.json").read_text()).get("inputs", {})
    now = input_fingerprints(inputs)
    both = before.keys() & now.keys()
    return _input_change({k: before[k] for k in both}, {k: now[k] for k in both})


def _input_change(before: dict[str, Fingerprint], now: dict[str, Fingerprint]) -> str | None:
    """What differs between the inputs a partial run recorded and today's, by contents; None if alike."""
    for name in sorted(before.keys() | now.keys()):
        if name not in now:
            return f"its {name} input {before[name]['path']} is no longer given"
        if name not in before:
            return f"{now[name]['path']} was not an input when the run began"
        if change := describe_change(before[name], now[name]):
            return change
    return None


@contextmanager
def open_run(
    command: str,
    config: dict[str, Any],
    *,
    out: str | Path | None = None,
    inputs: dict[str, str | Path | None] | None = None,
    overwrite: bool = False,
    resumes: bool = True,
    volatile: tuple[str, ...] = (),
    unit: str = "problems",
    say: Callable[[str], None] = print,
) -> Iterator[Run]:
    """The lifecycle of a run folder, the same for every command that writes one.

    Fingerprints `inputs` (files or folders by role), picks `out` or runs/<command>-<hash of config
    and input contents>, opens `<out>.partial/` (refusing to replace a finished run without
    `overwrite`, or to resume on changed data), says what it resumes, and yields the Run; the block
    calls `run.finish(...)`, which renames the folder into place. On Ctrl-C it raises
    RunInterrupted carrying the one line to print; a partial folder that holds nothing but its
    config, or that belongs to a job which cannot resume, is removed when the block fails."""
    fingerprints = input_fingerprints(inputs or {})
    folder = Path(out) if out else default_run_dir(command, config, fingerprints, volatile)
    run = Run.open(
        folder, config, overwrite=overwrite, inputs=fingerprints, resumes=resumes, volatile=volatile
    )
    if run.resumed:
        say(f"resuming: {run.resumed} {unit} already done in {run.partial}")
    elif resumes and any(run.partial.glob("checkpoint*")):
        say(f"resuming: from the checkpoint in {run.partial}")
    try:
        yield run
    except BaseException as e:
        if run.partial.is_dir() and (not resumes or _holds_only_config(run.partial)):
            shutil.rmtree(run.partial, ignore_errors=True)
        if isinstance(e, KeyboardInterrupt) and not isinstance(e, RunInterrupted):
            raise RunInterrupted(RESUME_LINE if resumes else "interrupted") from None
        raise


def _holds_only_config(folder: Path) -> bool:
    return {p.name for p in folder.iterdir()} <= {"config.json", "samples.jsonl"} and not (
        (folder / "samples.jsonl").exists() and (folder / "samples.jsonl").stat().st_size
    )
