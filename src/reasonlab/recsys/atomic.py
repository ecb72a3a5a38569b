"""RecBole atomic files (.inter, .user, .item, .link): tab separated, a `field:type` header.

Types follow RecBole: `token` (an id, kept as a string), `float`, `token_seq` (space-separated
tokens) and `float_seq`. Errors name the file and line, so a broken export is fixed in one go.
"""

from __future__ import annotations

from pathlib import Path

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.runs import write_atomic

FIELD_TYPES = ("token", "float", "token_seq", "float_seq")


def _parse_header(path: Path, line: str) -> list[tuple[str, str]]:
    fields = []
    for column, cell in enumerate(line.rstrip("\n").split("\t"), start=1):
        name, sep, kind = cell.strip().rpartition(":")
        if not sep or not name:
            raise ReasonlabError(f"{path}:1: header column {column} {cell!r} is not 'field:type'")
        if kind not in FIELD_TYPES:
            raise ReasonlabError(
                f"{path}:1: field {name!r} has unknown type {kind!r} (one of {', '.join(FIELD_TYPES)})"
            )
        fields.append((name, kind))
    return fields


def _parse_cell(path: Path, lineno: int, name: str, kind: str, cell: str):
    if kind == "token":
        return cell
    if kind == "token_seq":
        return cell.split()
    try:
        return float(cell) if kind == "float" else [float(x) for x in cell.split()]
    except ValueError:
        raise ReasonlabError(f"{path}:{lineno}: field {name!r} is {kind} but holds {cell!r}") from None


def read_atomic(path: str | Path, required: tuple[str, ...] = ()) -> dict[str, list]:
    """Columns of an atomic file by field name; `required` fields must be in the header."""
    path = Path(path)
    if not path.is_file():
        raise ReasonlabError(f"{path}: no such atomic file")
    with path.open(encoding="utf-8") as f:
        header = f.readline()
        if not header.strip():
            raise ReasonlabError(f"{path}:1: empty file (expected a 'field:type' header)")
        fields = _parse_header(path, header)
        names = [n for n, _ in fields]
        for name in required:
            if name not in names:
                raise ReasonlabError(f"{path}:1: missing field {name!r} (header has {', '.join(names)})")
        columns: dict[str, list] = {n: [] for n in names}
        for lineno, line in enumerate(f, start=2):
            if not line.strip():
                continue
            cells = line.rstrip("\n").split("\t")
            if len(cells) != len(fields):
                raise ReasonlabError(f"{path}:{lineno}: {len(cells)} columns, header has {len(fields)}")
            for (name, kind), cell in zip(fields, cells):
                columns[name].append(_parse_cell(path, lineno, name, kind, cell))
    return columns


def write_atomic_file(path: str | Path, columns: dict[str, tuple[str, list]]) -> None:
    """Write {field: (type, values)} as an atomic file, whole or not at all."""
    names = list(columns)
    lines = ["\t".join(f"{n}:{columns[n][0]}" for n in names)]
    n_rows = len(next(iter(columns.values()))[1]) if columns else 0
    for row in range(n_rows):
        cells = []
        for n in names:
            kind, values = columns[n]
            value = values[row]
            cells.append(" ".join(map(str, value)) if kind.endswith("_seq") else str(value))
        lines.append("\t".join(cells))
    write_atomic(Path(path), "\n".join(lines) + "\n")
