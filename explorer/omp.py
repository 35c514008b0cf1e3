"""How torch's OpenMP threads wait at a barrier, for every process of ours that trains or encodes.

libgomp's default spins a long while before a waiting thread sleeps: fastest when every thread has a
core, and a crawl when a peer thread has been preempted (a busy host, a second training, the server
beside it), because the spinner burns the time slice the peer needs. A short spin is near the default's
pace alone and near a passive wait's when the cores are shared (bench/results/omp_wait.md). A host that
sets either variable itself keeps its choice. libgomp reads them once, when torch loads it, so
``apply`` must run before ``import torch``.
"""
from __future__ import annotations

import os

SPIN_COUNT = "1000"
VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


def wait_policy(environ) -> dict[str, str]:
    """``environ`` with the short spin added, unless it already says how OpenMP threads should wait."""
    env = dict(environ)
    if not any(v in env for v in VARIABLES):
        env["GOMP_SPINCOUNT"] = SPIN_COUNT
    return env


def apply() -> None:
    """Give this process (and every child it starts) the short spin; call before torch is imported."""
    os.environ.update(wait_policy(os.environ))
