import numpy as np
import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.recsys.atomic import read_atomic
from reasonlab.recsys.data import load_domain, load_pair, overlapping_users, split_counts, split_target
from reasonlab.recsys.synth import SynthConfig, generate


def test_split_counts_follow_recbole_rounding():
    assert split_counts(10, (0.8, 0.1, 0.1)) == [8, 1, 1]
    assert split_counts(5, (0.8, 0.1, 0.1)) == [3, 1, 1]  # small users still get valid and test items
    assert split_counts(2, (0.8, 0.1, 0.1)) == [1, 0, 1]
    assert split_counts(1, (0.8, 0.1, 0.1)) == [1, 0, 0]


def test_split_is_deterministic_and_cold_users_have_no_training_data(data):
    again = split_target(data.target, data.overlap, seed=0)
    other = split_target(data.target, data.overlap, seed=1)
    for a, b in ((data.split.train, again.train), (data.split.test, again.test)):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(data.split.cold_users, other.cold_users)
    cold = set(data.split.cold_users.tolist())
    assert cold and cold <= set(data.overlap[:, 1].tolist())
    assert not cold & set(data.split.train[0].tolist())
    assert set(data.split.cold_test[0].tolist()) == cold
    total = sum(
        len(p[0]) for p in (data.split.train, data.split.valid, data.split.test, data.split.cold_test)
    )
    assert total == len(data.target.user)


def test_synthetic_overlap_and_relatedness_are_as_configured():
    cfg = SynthConfig(source_users=200, target_users=100, source_items=60, target_items=50, overlap=0.3)
    domains = generate(cfg)
    shared = set(domains["source"]["user_id"][1]) & set(domains["target"]["user_id"][1])
    assert len(shared) == 30


def test_link_file_matches_users_with_different_ids(pair_dirs, tmp_path):
    source = load_domain(pair_dirs[0])
    target = load_domain(pair_dirs[1])
    link = tmp_path / "users.link"
    link.write_text(
        "source_user_id:token\ttarget_user_id:token\n" + f"{source.users[0]}\t{target.users[5]}\n"
    )
    pairs = overlapping_users(source, target, link)
    assert pairs.tolist() == [[0, 5]]


def test_malformed_atomic_files_name_file_and_line(tmp_path):
    bad_type = tmp_path / "a.inter"
    bad_type.write_text("user_id:token\titem_id:tokn\n1\t2\n")
    with pytest.raises(ReasonlabError, match=r"a.inter:1: field 'item_id' has unknown type 'tokn'"):
        read_atomic(bad_type)
    missing = tmp_path / "b.inter"
    missing.write_text("user_id:token\trating:float\n1\t2\n")
    with pytest.raises(ReasonlabError, match=r"b.inter:1: missing field 'item_id'"):
        load_domain(missing)
    rating = tmp_path / "c.inter"
    rating.write_text("user_id:token\titem_id:token\trating:float\n1\t2\t5\n1\t3\tfive\n")
    with pytest.raises(ReasonlabError, match=r"c.inter:3: field 'rating' is float but holds 'five'"):
        load_domain(rating)


def test_domains_without_shared_users_are_refused(tmp_path):
    for name, users in (("s", "a b"), ("t", "c d")):
        (tmp_path / name).mkdir()
        rows = "".join(f"{u}\ti{k}\n" for k, u in enumerate(users.split()))
        (tmp_path / name / f"{name}.inter").write_text("user_id:token\titem_id:token\n" + rows)
    with pytest.raises(ReasonlabError, match="share no users"):
        load_pair(tmp_path / "s", tmp_path / "t")


@pytest.mark.parametrize("ratio", [1.0, 1.5, -0.5, float("nan")])
def test_a_cold_ratio_outside_0_1_is_refused_by_name(data, ratio):
    """Python API users see the field's name; the CLI shows it as --cold-ratio (tests/cli)."""
    from reasonlab.jobs.recsys import DataConfig

    with pytest.raises(ReasonlabError, match=r"cold_ratio must be in \[0, 1\)"):
        split_target(data.target, data.overlap, cold_ratio=ratio)
    with pytest.raises(ReasonlabError, match=r"cold_ratio must be in \[0, 1\)"):
        DataConfig(source="s", target="t", cold_ratio=ratio).validate()


def test_a_cold_ratio_that_rounds_to_every_overlapping_user_is_refused(data):
    shared = len(np.unique(data.overlap[:, 1]))
    ratio = 1 - 0.4 / shared  # rounds up to all of them
    with pytest.raises(ReasonlabError, match=f"holds out all {shared} overlapping users"):
        split_target(data.target, data.overlap, cold_ratio=ratio)
    assert len(split_target(data.target, data.overlap, cold_ratio=0.0).cold_users) == 0
