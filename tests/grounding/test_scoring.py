import pytest

from reasonlab.grounding.samples import GroundingSample
from reasonlab.grounding.scoring import Prediction, centre, in_polygon, outcome


def sample(kind="bbox", **kw):
    base = dict(id="1", image="x.png", image_size=(200, 100), instruction="click", kind=kind)
    return GroundingSample(**{**base, **kw})


BOX = sample(box=(10, 20, 50, 40))


@pytest.mark.parametrize(
    "coords, expected",
    [
        ((10, 20), "correct"),  # top-left corner: edges are inclusive
        ((50, 40), "correct"),  # bottom-right corner
        ((50.01, 40), "wrong"),
        ((0, 0, 60, 60), "correct"),  # box centre (30, 30) is scored, not the box
        ((0, 0, 10, 10), "wrong"),
        ((0.15, 0.3), "correct"),  # all in [0, 1]: relative, scaled by 200 x 100 -> (30, 30)
        ((1, 1), "wrong"),  # relative (200, 100)
    ],
)
def test_bbox_rules(coords, expected):
    kind = "point" if len(coords) == 2 else "box"
    assert outcome(BOX, Prediction(kind, coords)) == expected


def test_concave_polygon_uses_the_even_odd_rule():
    # a U shape: the notch (x 4-6, y 0-8) is outside
    u = (0, 0, 4, 0, 4, 8, 6, 8, 6, 0, 10, 0, 10, 10, 0, 10)
    assert in_polygon(2, 5, u) and in_polygon(8, 5, u) and in_polygon(5, 9, u)
    assert not in_polygon(5, 4, u) and not in_polygon(11, 5, u)
    poly = sample("polygon", polygon=u, image_size=(1000, 1000))
    assert outcome(poly, Prediction("point", (5, 4))) == "wrong"
    assert outcome(poly, Prediction("point", (2, 5))) == "correct"


def test_refusal_is_right_only_on_refusal_items_and_only_with_both_coordinates_negative():
    refusal = sample("refusal")
    assert outcome(refusal, Prediction.refusal()) == "correct"
    assert outcome(refusal, Prediction("point", (-1, 5))) == "wrong"
    assert outcome(refusal, Prediction("point", (30, 30))) == "wrong"
    assert outcome(BOX, Prediction.refusal()) == "wrong"


def test_an_unparsed_answer_is_wrong_format_never_a_refusal():
    assert outcome(sample("refusal"), Prediction.unparsed("blah")) == "wrong_format"
    assert outcome(BOX, Prediction.unparsed()) == "wrong_format"
    assert centre(Prediction.unparsed(), (10, 10)) is None
