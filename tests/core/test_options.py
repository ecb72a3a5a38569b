"""`--set key=value` strings become each field's type, read from its annotation whether that is a
string (as in our configs, under `from __future__ import annotations`), a class or a typing object
(as in third-party configs); a bad value is a one-line error naming the option."""

from __future__ import annotations

import dataclasses
import enum
import typing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Literal

import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.options import from_settings


@dataclass
class Ours:  # annotations are strings here
    n: int = 1
    x: float | None = 0.5
    flag: bool = False
    name: str = "a"
    mixed: str | int | None = None
    names: list[str] = field(default_factory=list)
    sizes: tuple[int, ...] = (1,)
    pair: tuple[int, int] = (0, 0)
    weights: list[float] | None = None
    mode: Literal["fast", "slow"] = "fast"
    day: date = date(2000, 1, 1)
    when: datetime | None = None
    path: Path = Path(".")


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass
class Spec:
    name: str = ""


# As a third-party library declares them: classes and typing objects, not strings.
Theirs = dataclasses.make_dataclass(
    "Theirs",
    [
        ("operators", typing.List[str], field(default=("+", "-"))),  # noqa: UP006
        ("tasks", typing.Optional[list[str]], field(default=None)),  # noqa: UP045
        ("styles", typing.Sequence[str], field(default=("plain",))),  # noqa: UP006
        ("variables", tuple[str], field(default=("x", "y"))),  # meant as tuple[str, ...]
        ("untyped", tuple, field(default=("a",))),
        ("pair", typing.Tuple[int, float], field(default=(1, 1.0))),  # noqa: UP006
        ("style", typing.Literal["simple", "natural"], field(default="simple")),
        ("levels", list[typing.Literal[1, 2, 3]], field(default_factory=list)),
        ("colour", Colour, field(default=Colour.RED)),
        ("colours", list[Colour], field(default_factory=list)),
        ("max_date", date, field(default=date(3000, 1, 1))),
        ("start", datetime, field(default=datetime(2000, 1, 1))),
        ("min_time", time, field(default=time(0, 0))),
        ("seed", typing.Optional[int], field(default=None)),  # noqa: UP045
        ("specs", list[Spec], field(default=None)),
        ("ranges", list[tuple[float, float]], field(default_factory=list)),
        ("spec", Spec, field(default_factory=Spec)),
    ],
)


def test_our_string_annotations():
    got = from_settings(
        Ours,
        {
            "n": "3",
            "x": "none",
            "flag": "yes",
            "mixed": "7",
            "names": "a, b,c",
            "sizes": "1,2,3",
            "pair": "4,5",
            "weights": "0.5,1e-1",
            "mode": "slow",
            "day": "2020-02-29",
            "when": "2020-01-01T12:30",
            "path": "out/x",
        },
        "test",
    )
    assert (got.n, got.x, got.flag, got.mixed) == (3, None, True, "7")
    assert (got.names, got.sizes, got.pair, got.weights) == (["a", "b", "c"], (1, 2, 3), (4, 5), [0.5, 0.1])
    assert (got.mode, got.day, got.when) == ("slow", date(2020, 2, 29), datetime(2020, 1, 1, 12, 30))
    assert got.path == "out/x"  # a type we do not read stays the string, as before
    assert from_settings(Ours, {"x": "2", "weights": "none", "names": ""}, "t").x == 2.0
    assert from_settings(Ours, {"weights": "none", "names": ""}, "t").names == []
    assert from_settings(Ours, {"mixed": "none", "name": "none"}, "t").name == "none"  # only optional fields


def test_third_party_annotations():
    got = from_settings(
        Theirs,
        {
            "operators": "+,*",
            "tasks": "weekday_of_date",
            "styles": "plain,latex",
            "variables": "x,y,z",
            "untyped": "p,q",
            "pair": "2,0.5",
            "style": "natural",
            "levels": "1,3",
            "colour": "blue",
            "colours": "RED,blue",
            "max_date": "2020-01-01",
            "start": "2020-01-01 08:00:00",
            "min_time": "08:15",
            "seed": "5",
        },
        "test",
    )
    assert (got.operators, got.tasks, got.styles) == (["+", "*"], ["weekday_of_date"], ("plain", "latex"))
    assert (got.variables, got.untyped, got.pair) == (("x", "y", "z"), ("p", "q"), (2, 0.5))
    assert (got.style, got.levels, got.colour) == ("natural", [1, 3], Colour.BLUE)
    assert got.colours == [Colour.RED, Colour.BLUE]
    assert (got.max_date, got.start, got.min_time) == (date(2020, 1, 1), datetime(2020, 1, 1, 8), time(8, 15))
    assert got.seed == 5 and from_settings(Theirs, {"tasks": "none", "seed": "none"}, "t").tasks is None


@pytest.mark.parametrize(
    "cls,settings,message",
    [
        (Ours, {"n": "many"}, "test: option 'n' expects an integer, got 'many'"),
        (Ours, {"x": "big"}, "option 'x' expects a number or none, got 'big'"),
        (Ours, {"flag": "maybe"}, "option 'flag' expects true or false, got 'maybe'"),
        (
            Ours,
            {"sizes": "1,two"},
            "option 'sizes' expects comma-separated items, each an integer, got '1,two'",
        ),
        (Ours, {"pair": "1,2,3"}, "option 'pair' expects 2 comma-separated items (an integer, an integer)"),
        (Ours, {"mode": "medium"}, "option 'mode' expects one of fast, slow, got 'medium'"),
        (Ours, {"day": "2020-02-30"}, "option 'day' expects a date (YYYY-MM-DD), got '2020-02-30'"),
        (Theirs, {"style": "fancy"}, "option 'style' expects one of simple, natural, got 'fancy'"),
        (Theirs, {"levels": "1,4"}, "option 'levels' expects comma-separated items, each one of 1, 2, 3"),
        (Theirs, {"colour": "green"}, "option 'colour' expects one of red, blue, got 'green'"),
        (Theirs, {"max_date": "soon"}, "option 'max_date' expects a date (YYYY-MM-DD), got 'soon'"),
        (Theirs, {"min_time": "25:00"}, "option 'min_time' expects a time (HH:MM:SS), got '25:00'"),
        (Theirs, {"seed": "x"}, "option 'seed' expects an integer or none, got 'x'"),
        (Theirs, {"specs": "a"}, "option 'specs' (list[tests.core.test_options.Spec]) cannot be set from"),
        (Theirs, {"ranges": "0.1,0.2"}, "option 'ranges' (list[tuple[float, float]]) cannot be set from the"),
        (Theirs, {"spec": "a"}, "option 'spec' (Spec) cannot be set from the command line"),
        (Theirs, {"colur": "red"}, "test has no option 'colur' (options: operators, tasks,"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_option(cls, settings, message):
    with pytest.raises(ReasonlabError) as err:
        from_settings(cls, settings, "test")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_values_that_are_not_strings_pass_through():
    got = from_settings(Theirs, {"operators": ("*",), "max_date": date(2001, 1, 1)}, "t")
    assert got.operators == ("*",) and got.max_date == date(2001, 1, 1)
