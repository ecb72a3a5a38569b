import pytest

from reasonlab.recsys.data import load_pair
from reasonlab.recsys.synth import SynthConfig, write_pair

SMALL = SynthConfig(
    source_users=300,
    target_users=300,
    source_items=150,
    target_items=120,
    mean_interactions=15,
    relatedness=0.8,
    seed=3,
)


@pytest.fixture(scope="session")
def pair_dirs(tmp_path_factory):
    return write_pair(SMALL, tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="session")
def data(pair_dirs):
    return load_pair(*pair_dirs)
