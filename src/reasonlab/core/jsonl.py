"""Reading JSONL input files line by line, with errors that name the file and line.

Every reader of user-supplied JSONL (datasets, solutions, PRM data, calibration texts) gets the
same behaviour: a missing file and a line that is not JSON are one-line errors in the compiler's
"path:line: message" form, blank lines are skipped, and the caller validates each value and
reports its own problems at the `where` it is given.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from reasonlab.core.errors import ReasonlabError


class JsonLine(NamedTuple):
    where: str  # "path:line", for the caller's errors
    number: int
    value: Any


def jsonl_rows(path: str | Path, missing: str = "file not found") -> Iterator[JsonLine]:
    """Each non-blank line, parsed. `missing` opens the error for an absent file ("dataset file
    not found: data.jsonl")."""
    file = Path(path)
    if not file.is_file():
        raise ReasonlabError(f"{missing}: {path}")
    with file.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                value = json.loads(line)
            except json.JSONDecodeError as e:
                raise ReasonlabError(f"{where}: invalid JSON ({e.msg})") from None
            yield JsonLine(where, number, value)
