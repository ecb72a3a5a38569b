import sys

from reasonlab.jobs.galore_bench import BenchConfig, finetune_benchmark
from reasonlab.jobs.galore_bench_report import write_report

TINY = BenchConfig(
    ft_hidden=64, ft_heads=4, ft_layers=1, ft_steps=2, ft_gaps=[1], ft_rank=8, ft_batch=2, ft_seq=32
)


def test_without_galore_torch_the_benchmark_runs_and_says_what_it_left_out(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "galore_torch", None)  # how Python marks a module as not installed
    rows = finetune_benchmark(TINY, progress=False)
    names = [r["optimizer"] for r in rows]
    assert "galore-torch" not in names and "GaLore (svd)" in names
    report = write_report({"config": TINY.__dict__, "finetune": rows}, tmp_path)
    assert "galore-torch is not installed" in report
    assert (tmp_path / "finetune.png").is_file() and "refresh" not in report.split("## Fine-tuning")[0]


def test_projected_runs_differ_from_adamw_at_the_configured_rank(tmp_path):
    rows = {r["optimizer"]: r for r in finetune_benchmark(TINY, progress=False)}
    assert rows["GaLore (svd)"]["refresh_total_s"] > 0  # rank 8 < 64: the projection is on
    assert rows["GaLore (svd)"]["losses"][1] != rows["AdamW"]["losses"][1]


def test_a_fine_tuning_rank_that_projects_nothing_is_refused():
    import dataclasses

    import pytest

    from reasonlab.core.errors import ReasonlabError

    with pytest.raises(ReasonlabError, match="ft_rank 64 must be below ft_hidden 64"):
        dataclasses.replace(TINY, ft_rank=64).validate()
    TINY.validate()
