"""`reasonlab merge`: parameter-space model merging (linear, task arithmetic, TIES, DARE)."""

from __future__ import annotations

import typer

from reasonlab.cli.common import console
from reasonlab.cli.options import ConfigFlags, config_options
from reasonlab.jobs.merge import MergeConfig


@config_options(MergeConfig)
def merge(
    flags: ConfigFlags,
    out: str = typer.Option(..., help="Folder of the merged model (built in <out>.partial, then renamed)."),
    overwrite: bool = typer.Option(False, help="Replace an existing folder."),
    progress: bool = typer.Option(True, help="Show a progress bar over tensors."),
) -> None:
    """Merge models of one architecture tensor by tensor, as mergekit defines the methods (e.g. the
    Meta-Ability Alignment merge: --method linear --weights 1.0,0.2,0.1), into a Hugging Face
    folder that every reasonlab command loads; merge_config.json records how."""
    cfg = flags.build(MergeConfig)
    from reasonlab.jobs.merge import run_merge

    record = run_merge(cfg, out, overwrite=overwrite, progress=progress)
    files = len(record["files"])
    copied = f" ({record['copied_tensors']} non-float copied)" if record["copied_tensors"] else ""
    n = len(record["models"])
    skipped = " (the base, also listed in --models, skipped)" if record["skipped_models"] else ""
    console.print(
        f"merged {record['tensors']} tensors{copied} of {n} model{'s' if n != 1 else ''} by {cfg.method}"
        f"{skipped} into {out}: {record['bytes']:,} bytes in {files} file{'s' if files > 1 else ''}, "
        f"{record['seconds']:.1f}s",
        highlight=False,
        soft_wrap=True,
    )
