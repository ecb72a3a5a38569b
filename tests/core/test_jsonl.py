import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.jsonl import jsonl_rows


def test_rows_skip_blank_lines_and_say_where_they_are(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"a": 1}\n\n  \n[2]\n')
    rows = list(jsonl_rows(path))
    assert [(r.where, r.number, r.value) for r in rows] == [(f"{path}:1", 1, {"a": 1}), (f"{path}:4", 4, [2])]


def test_a_missing_file_and_a_bad_line_are_one_line_errors(tmp_path):
    with pytest.raises(ReasonlabError, match=r"^PRM data not found: .*nope.jsonl$"):
        list(jsonl_rows(tmp_path / "nope.jsonl", "PRM data not found"))
    path = tmp_path / "d.jsonl"
    path.write_text('{"a": 1}\n{"a": \n')
    rows = jsonl_rows(path)
    assert next(rows).value == {"a": 1}  # lines before the bad one are read
    with pytest.raises(ReasonlabError, match=r"d.jsonl:2: invalid JSON \(Expecting value\)$"):
        next(rows)
