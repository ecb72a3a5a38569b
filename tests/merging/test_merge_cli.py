"""`reasonlab merge` end to end on tiny Llama folders: each method's tensors against the formula
computed here with torch, defaults and normalisation, folders that load and generate, sharded
inputs and outputs, testbed handles, DARE's seed, reading tensor by tensor, and bad input (one line,
exit code 2, no folder or <out>.partial left)."""

import json
import weakref

import pytest
import torch
from transformers import AutoModelForCausalLM

from reasonlab.merging.checkpoints import INDEX_FILE, Checkpoint
from reasonlab.models.loading import load_model
from tests.cli_runner import run_cli
from tests.merging.conftest import variant, weights

FP8 = {"F8_E4M3": torch.float8_e4m3fn, "F8_E5M2": torch.float8_e5m2}


def merge(monkeypatch, capsys, out, folders, names, *args):
    models = ",".join(str(folders[n]) for n in names)
    return run_cli(
        monkeypatch, capsys, "merge", "--models", models, "--out", str(out), "--no-progress", *args
    )


def check_merged(out, folders, names, expected_fn, atol=1e-6):
    """Every tensor of `out` equals expected_fn(name, [model tensors], base tensor)."""
    got = weights(out)
    inputs = [weights(folders[n]) for n in names]
    base = weights(folders["base"])
    assert set(got) == set(base)
    for name, tensor in got.items():
        want = expected_fn(name, [m[name] for m in inputs], base[name])
        assert torch.allclose(tensor, want, atol=atol), name


def test_linear_normalises_the_weights_by_default_and_records_the_merge(
    monkeypatch, capsys, tmp_path, folders
):
    out = tmp_path / "merged"
    code, stdout, err = merge(monkeypatch, capsys, out, folders, "abc", "--weights", "1.0,0.2,0.1")
    assert code == 0, err
    check_merged(out, folders, "abc", lambda n, ts, b: (1.0 * ts[0] + 0.2 * ts[1] + 0.1 * ts[2]) / 1.3)
    record = json.loads((out / "merge_config.json").read_text())
    assert record["method"] == "linear" and record["parameters"]["normalize"] is True
    assert [round(w, 3) for w in record["effective_weights"]] == [0.769, 0.154, 0.077]
    assert [m["path"] for m in record["models"]] == [str(folders[n]) for n in "abc"]
    assert record["tensors"] == len(weights(folders["a"])) and record["files"] == ["model.safetensors"]
    assert stdout.startswith(f"merged {record['tensors']} tensors of 3 models by linear into {out}: ")
    assert f"{record['bytes']:,} bytes in 1 file" in stdout and len(stdout.strip().splitlines()) == 1
    assert record["bytes"] == (out / "model.safetensors").stat().st_size
    for name in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        assert (out / name).read_bytes() == (folders["a"] / name).read_bytes()
    assert not (tmp_path / "merged.partial").exists()


def test_linear_without_normalize_is_the_weighted_sum(monkeypatch, capsys, tmp_path, folders):
    code, _, err = merge(
        monkeypatch, capsys, tmp_path / "m", folders, "ab", "--weights", "0.5,0.25", "--no-normalize"
    )
    assert code == 0, err
    check_merged(tmp_path / "m", folders, "ab", lambda n, ts, b: 0.5 * ts[0] + 0.25 * ts[1])


def test_task_arithmetic_adds_lambda_times_the_weighted_task_vectors(monkeypatch, capsys, tmp_path, folders):
    args = [
        "--method",
        "task_arithmetic",
        "--base",
        str(folders["base"]),
        "--weights",
        "1,0.5",
        "--lambda",
        "0.8",
    ]
    code, _, err = merge(monkeypatch, capsys, tmp_path / "m", folders, "ab", *args)
    assert code == 0, err
    check_merged(
        tmp_path / "m", folders, "ab", lambda n, ts, b: b + 0.8 * (1.0 * (ts[0] - b) + 0.5 * (ts[1] - b))
    )


def _ties(ts, b, weights, density):
    deltas = []
    for t, w in zip(ts, weights):
        d = (t - b).reshape(-1)
        k = max(1, int(density * d.numel()))
        keep = torch.zeros_like(d)
        keep[torch.topk(d.abs(), k).indices] = 1
        deltas.append((d * keep * w).reshape(t.shape))
    stacked = torch.stack(deltas)
    sign = torch.where(stacked.sum(0) >= 0, 1.0, -1.0)
    agree = (stacked.sign() == sign).float()
    w = torch.tensor(weights).reshape(-1, *[1] * b.dim())
    divisor = (w * agree).sum(0)
    divisor[divisor == 0] = 1
    return b + (stacked * agree).sum(0) / divisor


def test_ties_trims_elects_signs_and_takes_the_disjoint_mean(monkeypatch, capsys, tmp_path, folders):
    args = ["--method", "ties", "--base", str(folders["base"]), "--weights", "1,0.6,0.3", "--density", "0.5"]
    code, _, err = merge(monkeypatch, capsys, tmp_path / "m", folders, "abc", *args)
    assert code == 0, err
    check_merged(tmp_path / "m", folders, "abc", lambda n, ts, b: _ties(ts, b, [1, 0.6, 0.3], 0.5))
    record = json.loads((tmp_path / "m" / "merge_config.json").read_text())
    assert record["parameters"] == {"normalize": True, "lambda": 1.0, "rescale": "none", "seed": 0}
    assert [m["density"] for m in record["models"]] == [0.5, 0.5, 0.5]


@pytest.mark.parametrize("method", ["dare_linear", "dare_ties"])
def test_dare_is_reproducible_by_seed_and_drops_task_vector_entries(
    monkeypatch, capsys, tmp_path, folders, method
):
    args = ["--method", method, "--base", str(folders["base"]), "--density", "0.4", "--rescale", "density"]
    files = {}
    for name, seed in (("s0", "0"), ("s0again", "0"), ("s1", "1")):
        code, _, err = merge(monkeypatch, capsys, tmp_path / name, folders, "a", *args, "--seed", seed)
        assert code == 0, err
        files[name] = (tmp_path / name / "model.safetensors").read_bytes()
    assert files["s0"] == files["s0again"] and files["s0"] != files["s1"]
    got, a, base = weights(tmp_path / "s0"), weights(folders["a"]), weights(folders["base"])
    delta = got["model.layers.0.mlp.up_proj.weight"] - base["model.layers.0.mlp.up_proj.weight"]
    full = a["model.layers.0.mlp.up_proj.weight"] - base["model.layers.0.mlp.up_proj.weight"]
    kept = delta.abs() > 1e-7
    assert 0.35 < kept.float().mean().item() < 0.45  # kept with probability 0.4
    assert torch.allclose(delta[kept], full[kept] / 0.4, atol=1e-6)  # rescaled by 1/density


def test_dare_at_density_1_is_task_arithmetic(monkeypatch, capsys, tmp_path, folders):
    base = ["--base", str(folders["base"]), "--weights", "0.7,0.3"]
    assert merge(monkeypatch, capsys, tmp_path / "d", folders, "ab", "--method", "dare_linear", *base)[0] == 0
    assert (
        merge(monkeypatch, capsys, tmp_path / "t", folders, "ab", "--method", "task_arithmetic", *base)[0]
        == 0
    )
    assert (tmp_path / "d" / "model.safetensors").read_bytes() == (
        tmp_path / "t" / "model.safetensors"
    ).read_bytes()


def test_the_merged_folder_loads_with_reasonlab_and_transformers_and_generates(
    monkeypatch, capsys, tmp_path, folders
):
    out = tmp_path / "m"
    code, _, err = merge(
        monkeypatch, capsys, out, folders, "abc", "--weights", "1,0.2,0.1", "--dtype", "bfloat16"
    )
    assert code == 0, err
    assert json.loads((out / "config.json").read_text())["dtype"] == "bfloat16"
    model, tokenizer = load_model(str(out))
    assert next(model.parameters()).dtype == torch.bfloat16
    plain = AutoModelForCausalLM.from_pretrained(out, local_files_only=True, dtype=torch.float32)
    ids = torch.tensor([tokenizer.encode("12+7=")])
    for m in (model, plain):
        gen = m.generate(ids, max_new_tokens=4, do_sample=False, pad_token_id=tokenizer.pad_token_id)
        assert gen.shape[1] > ids.shape[1]


def test_sharded_inputs_merge_as_the_single_file_and_large_outputs_are_sharded(
    monkeypatch, capsys, tmp_path, folders
):
    code, _, err = merge(monkeypatch, capsys, tmp_path / "single", folders, "ab", "--weights", "1,2")
    assert code == 0, err
    args = ["--weights", "1,2", "--shard-size", "50KB"]
    code, stdout, err = merge(monkeypatch, capsys, tmp_path / "sharded", folders, ["a_sharded", "b"], *args)
    assert code == 0, err
    index = json.loads((tmp_path / "sharded" / INDEX_FILE).read_text())
    files = sorted(set(index["weight_map"].values()))
    assert len(files) > 1 and f"in {len(files)} files" in stdout
    assert all((tmp_path / "sharded" / f).stat().st_size <= 50_000 + 4096 for f in files)
    single, sharded = weights(tmp_path / "single"), weights(tmp_path / "sharded")
    assert single.keys() == sharded.keys() and all(torch.equal(single[k], sharded[k]) for k in single)
    model, _ = load_model(str(tmp_path / "sharded"))
    assert torch.equal(model.state_dict()["lm_head.weight"], single["lm_head.weight"])


def test_testbed_handles_are_inputs(monkeypatch, capsys, tmp_path):
    out = tmp_path / "m"
    code, _, err = run_cli(
        monkeypatch,
        capsys,
        "merge",
        "--models",
        "testbed:draft,testbed:draft",
        "--out",
        str(out),
        "--no-progress",
    )
    assert code == 0, err
    record = json.loads((out / "merge_config.json").read_text())
    assert record["models"][0]["model"] == "testbed:draft"
    assert (out / "chat_template.jinja").exists()


def test_the_merge_reads_one_tensor_at_a_time(monkeypatch, capsys, tmp_path, folders):
    """A load-everything merge would hold every tensor of every model at once; this one holds at most
    one tensor per input (here base + 3 models), and reads each exactly once."""
    import safetensors.torch

    live, most, reads = [0], [0], []
    original = Checkpoint.read

    def spy(self, name, device="cpu"):
        tensor = original(self, name, device)
        reads.append((str(self.path), name))
        live[0] += 1
        most[0] = max(most[0], live[0])
        weakref.finalize(tensor, lambda: live.__setitem__(0, live[0] - 1))
        return tensor

    def refuse(*args, **kwargs):
        raise AssertionError("a whole file was loaded")

    monkeypatch.setattr(Checkpoint, "read", spy)
    monkeypatch.setattr(safetensors.torch, "load_file", refuse)
    monkeypatch.setattr(safetensors.torch, "load", refuse)
    for method, bound in (("linear", 2), ("ties", 4)):
        live[0], most[0], reads[:] = 0, 0, []
        extra = ["--base", str(folders["base"]), "--density", "0.5"] if method == "ties" else []
        code, _, err = merge(
            monkeypatch, capsys, tmp_path / method, folders, "abc", "--method", method, *extra
        )
        assert code == 0, err
        count = len(Checkpoint("a", folders["a"]).tensors)
        assert len(reads) == len(set(reads)) == count * (4 if extra else 3)
        assert most[0] <= bound, (method, most[0])  # linear: the input being added (+ the next)


def _err(monkeypatch, capsys, tmp_path, *args):
    out = tmp_path / "out"
    code, stdout, err = run_cli(monkeypatch, capsys, "merge", "--out", str(out), "--no-progress", *args)
    assert code == 2, (stdout, err)
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert not out.exists() and not (tmp_path / "out.partial").exists()
    return err


def test_bad_inputs_are_one_line_errors_that_leave_nothing(monkeypatch, capsys, tmp_path, folders):
    a, b, c, base = (str(folders[n]) for n in ("a", "b", "c", "base"))
    cases = [
        (["--models", f"{a},{b},{c}", "--weights", "1,2"], "weights has 2 values for 3 models"),
        (["--models", f"{a},{b}", "--weights", "1,-1"], "weights sum to 0"),
        (["--models", f"{a},{b}", "--weights", "-1,-2"], "weights sum to -3"),
        (
            ["--models", f"{a},{b}", "--method", "ties", "--base", base, "--density", "0"],
            "--density must be in (0, 1]",
        ),
        (
            ["--models", f"{a},{b}", "--method", "ties", "--base", base, "--density", "1.5"],
            "--density must be in (0, 1]",
        ),
        (
            ["--models", f"{a},{b}", "--method", "ties", "--base", base, "--density", "0.5,0.5,0.5"],
            "density has 3 values",
        ),
        (["--models", f"{a},{b}", "--density", "0.5"], "density applies to ties, dare_linear and dare_ties"),
        (
            ["--models", f"{a},{b}", "--method", "ties"],
            "ties takes task vectors against a base model: give --base",
        ),
        (["--models", f"{a},{b}", "--method", "dare_ties"], "give --base"),
        (["--models", f"{a},{b}", "--method", "task_arithmetic"], "give --base"),
        (["--models", f"{a},{b}", "--base", base], "linear merges --models only"),
        (["--models", f"{a},{b}", "--method", "slerp"], "unknown merge method 'slerp'"),
        (["--models", f"{a},{tmp_path / 'nowhere'}"], f"model not found: {tmp_path / 'nowhere'}"),
        (["--models", f"{a},{b}", "--shard-size", "lots"], "--shard-size expects a size"),
        (["--models", f"{a},{b}", "--rescale", "l3"], "unknown rescale 'l3'"),
    ]
    for args, message in cases:
        err = _err(monkeypatch, capsys, tmp_path, *args)
        assert message in err, (args, err)


def test_models_that_do_not_fit_together_are_refused_naming_the_tensor(
    monkeypatch, capsys, tmp_path, folders
):
    a = str(folders["a"])
    other = variant(
        folders["b"], tmp_path / "mistral", {"model_type": "mistral", "architectures": ["MistralForCausalLM"]}
    )
    err = _err(monkeypatch, capsys, tmp_path, "--models", f"{a},{other}")
    assert f"models differ in architecture: {a} is llama (LlamaForCausalLM), {other} is mistral" in err
    holed = variant(folders["b"], tmp_path / "holed", drop="model.norm.weight")
    err = _err(monkeypatch, capsys, tmp_path, "--models", f"{a},{holed}")
    assert f"tensor model.norm.weight is missing in {holed} (present in {a})" in err
    err = _err(monkeypatch, capsys, tmp_path, "--models", f"{holed},{a}")
    assert f"{a} has tensor model.norm.weight, which {holed} lacks" in err
    err = _err(monkeypatch, capsys, tmp_path, "--models", f"{a},{folders['wide']}")
    wide = folders["wide"]
    assert (
        f"tensor model.layers.0.mlp.down_proj.weight has shape [32, 64] in {a} but [32, 48] in {wide}" in err
    )
    err = _err(
        monkeypatch, capsys, tmp_path, "--models", a, "--method", "ties", "--base", str(folders["wide"])
    )
    assert "has shape [32, 48] in" in err


def test_an_existing_folder_is_replaced_only_with_overwrite(monkeypatch, capsys, tmp_path, folders):
    out = tmp_path / "m"
    assert merge(monkeypatch, capsys, out, folders, "ab")[0] == 0
    code, _, err = merge(monkeypatch, capsys, out, folders, "ab")
    assert code == 2 and "already exists (pass --overwrite to replace it)" in err
    assert merge(monkeypatch, capsys, out, folders, "ab", "--overwrite", "--weights", "1,3")[0] == 0
    code, _, err = run_cli(
        monkeypatch, capsys, "merge", "--models", f"{folders['a']},{out}", "--out", str(out), "--overwrite"
    )
    assert code == 2 and "is the input model" in err


def test_a_base_also_listed_in_models_is_skipped_as_mergekit_does(monkeypatch, capsys, tmp_path, folders):
    """mergekit leaves the base out of the merged models (its task vector is zero): its weight joins
    neither the normalising sum nor the effective weights, and shifts no DARE drop. The base is
    recognised by its folder (here listed through a symlink); TIES was never affected (a zero task
    vector agrees with no elected sign)."""
    base, a = str(folders["base"]), str(folders["a"])
    link = tmp_path / "base-link"
    link.symlink_to(folders["base"], target_is_directory=True)
    cases = {
        "task_arithmetic": ["--normalize"],
        "dare_linear": ["--normalize", "--density", "0.5"],
        "dare_ties": ["--density", "0.5"],
        "ties": ["--density", "0.5"],
    }
    for method, extra in cases.items():
        args = ["--method", method, "--base", base, "--no-progress", *extra]
        alone, listed = tmp_path / f"{method}-alone", tmp_path / f"{method}-listed"
        for models, weights_, out in ((a, "0.5", alone), (f"{link},{a}", "2,0.5", listed)):
            flags = ["--models", models, "--weights", weights_, "--out", str(out), *args]
            code, stdout, err = run_cli(monkeypatch, capsys, "merge", *flags)
            assert code == 0, err
        want, got = weights(alone), weights(listed)
        assert want.keys() == got.keys()
        for name in want:
            assert torch.equal(want[name], got[name]), (method, name)
        record = json.loads((listed / "merge_config.json").read_text())
        assert [m["model"] for m in record["models"]] == [a]
        assert record["skipped_models"] == [
            {
                "model": str(link),
                "path": str(link),
                "weight": 2.0,
                "density": record["skipped_models"][0]["density"],
                "reason": "the base model (a zero task vector, skipped as mergekit does)",
            }
        ]
        if method in ("task_arithmetic", "dare_linear"):
            assert record["effective_weights"] == [1.0]  # 0.5 / 0.5: the base's 2 is not in the sum
        assert " of 1 model by " in stdout and "the base, also listed in --models, skipped" in stdout


def test_merging_only_the_base_against_itself_gives_the_base(monkeypatch, capsys, tmp_path, folders):
    base = str(folders["base"])
    args = ["--models", base, "--method", "task_arithmetic", "--base", base, "--no-progress"]
    code, _, err = run_cli(monkeypatch, capsys, "merge", *args, "--out", str(tmp_path / "m"))
    assert code == 0, err
    want, got = weights(folders["base"]), weights(tmp_path / "m")
    assert want.keys() == got.keys() and all(torch.equal(want[k], got[k]) for k in want)
    record = json.loads((tmp_path / "m" / "merge_config.json").read_text())
    assert record["models"] == [] and record["skipped_models"][0]["model"] == base


@pytest.mark.parametrize("code", list(FP8))
def test_fp8_weights_are_refused_not_copied_unmerged(monkeypatch, capsys, tmp_path, folders, code):
    """FP8 tensors are quantized values whose scales (if any) are other tensors: merging the raw
    values would be wrong, and copying the reference's would pass it off as merged."""
    name = "model.layers.0.mlp.up_proj.weight"
    quantized = {}
    for n in ("base", "a", "b"):
        fp8 = weights(folders[n])[name].to(FP8[code])
        quantized[n] = str(variant(folders[n], tmp_path / f"{n}-fp8", tensors={name: fp8}))
    err = _err(monkeypatch, capsys, tmp_path, "--models", f"{quantized['a']},{quantized['b']}")
    assert f"tensor {name} is {code} in {quantized['a']}: " in err and "dequantize" in err
    err = _err(
        monkeypatch,
        capsys,
        tmp_path,
        "--models",
        f"{folders['a']},{folders['b']}",
        "--method",
        "ties",
        "--base",
        quantized["base"],
        "--density",
        "0.5",
    )
    assert f"tensor {name} is {code} in {quantized['base']}: " in err


def test_integer_tensors_of_every_width_are_copied_from_the_reference(monkeypatch, capsys, tmp_path, folders):
    extra = {
        f"extra.{dtype}": torch.tensor([1, 2, 300], dtype=torch.int32).to(getattr(torch, dtype))
        for dtype in ("uint16", "uint32", "int16", "bool")
    }
    a = variant(folders["a"], tmp_path / "a", tensors=extra)
    b = variant(folders["b"], tmp_path / "b", tensors={k: torch.zeros_like(t) for k, t in extra.items()})
    out = tmp_path / "m"
    code, stdout, err = run_cli(
        monkeypatch, capsys, "merge", "--models", f"{a},{b}", "--out", str(out), "--no-progress"
    )
    assert code == 0, err
    got = weights(out)
    assert all(torch.equal(got[k], t) for k, t in extra.items())
    assert json.loads((out / "merge_config.json").read_text())["copied_tensors"] == len(extra)
    assert f"({len(extra)} non-float copied)" in stdout
