"""The number of torch threads a run computes with: one of its settings (``--threads``), not the host's.

Another thread count splits a sum differently (a convolution's gradient over the batch, a reduction), so
it rounds differently and over thousands of steps trains a different model. Taking the count from the run
lets a command or a link train the same weights on a 2-core laptop and a 64-core server, and the default
of one thread per training shares a busy host, a second training or the app's server far better than
threads that wait on each other (bench/results/omp_wait.md).
"""
from __future__ import annotations

from contextlib import contextmanager


def use(threads: int) -> None:
    """Compute with ``threads`` torch threads in this process from now on (a CLI command, a training child)."""
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


@contextmanager
def computing_with(threads: int):
    """Compute with ``threads`` torch threads inside the block and restore the caller's count after it.

    torch's OpenMP count belongs to the calling thread, so a training in a server's worker thread leaves
    the server's own count alone."""
    import torch

    before = torch.get_num_threads()
    use(threads)
    try:
        yield
    finally:
        use(before)
