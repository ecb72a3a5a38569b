"""experiments/logic_card.py's card: a row per evaluation set, with the base model beside it and the
problems training drew too."""

from tests.experiment_scripts import load_experiment


def test_the_card_gives_each_set_and_the_recipe():
    script = load_experiment("logic_card")
    result = {
        "deduction L1": {"correct": [[True], [False]], "well_formed": 1.0},
        "arith": {"correct": [[True], [True]], "well_formed": None},
    }
    logic = script.figures(result)
    assert logic["deduction L1"] == {"accuracy": 0.5, "well_formed": 1.0}
    target = {"deduction L1": {"accuracy": 0.0}, "arith": {"accuracy": 0.9}}
    seen = {"deduction L1": 0, "arith": 1}
    text = script.card(logic, target, seen, {"steps": 600, "train_seconds": 1800}, problems=2)
    assert "| deduction L1 | 50.0% | 100.0% | 0.0% | 0 |" in text
    assert "| arith | 100.0% |  | 90.0% | 1 |" in text  # arith has no tags to check
    assert "600 steps" in text and "30.0 minutes" in text and "deduction level 1" in text
    assert "abduction level 2, arith" in text  # the mixture, in the recipe's order


def test_the_card_counts_the_evaluation_problems_training_drew_too():
    seen = load_experiment("logic_card").seen_in_training(20)
    assert seen["deduction L1"] == 0 and seen["arith"] == 0  # large spaces: seeds keep them apart
    assert seen["induction L1"] >= 15  # released-shape induction: about 300 puzzles, nearly all drawn
