"""Run a function in several gloo processes on CPU, the way `accelerate launch` sets them up."""

import os
import socket
import sys

import torch
import torch.multiprocessing as mp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _entry(rank: int, world: int, port: int, fn, args) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        WORLD_SIZE=str(world),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        OMP_NUM_THREADS="1",
    )
    torch.set_num_threads(1)
    fn(rank, *args)
    # Leave without running destructors: tearing down a gloo process group at interpreter exit can
    # deadlock (the group's destructor holds the GIL while joining a worker thread that needs it to
    # free its last work item; seen once in a full run). Everything fn wrote is on disk by now.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def spawn(fn, world: int, *args) -> None:
    """Call fn(rank, *args) in `world` processes; `fn` must be importable (module level)."""
    mp.spawn(_entry, args=(world, _free_port(), fn, args), nprocs=world, join=True)
