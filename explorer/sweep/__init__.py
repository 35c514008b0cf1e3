"""Sweeps: a grid of independent trainings, one folder per run, the contract in docs/sweeps.md.

``grid`` reads the flags (every ``train`` flag as a comma list), ``options`` the engine's own,
``plan`` decides what a call trains, ``engine`` dispatches to a backend (``local`` processes or
``ray_backend`` tasks), each run executing ``worker.run_one``; ``files`` and ``table`` write the
folder's files and ``folder`` reads them back (for the app too), ``progress`` is the line on stderr.
``lock`` keeps one engine per sweep folder and one trainer per run folder; ``lifetime`` ends a sweep's
workers with it, however it ends.
Nothing here imports torch until a run trains.
"""
