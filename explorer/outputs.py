"""Where the commands write, checked before any work: an output that cannot be written, or that holds another
run, is refused in one line before the first training step; a trained run is never lost (issue 26).

Used by the command line (explorer.cli); no torch at import.
"""
from __future__ import annotations

import functools
import os
import tempfile
import time
from pathlib import Path

from .atomic import temporary_name


def one_line_os_errors(command):
    """A file-system error a command meets late (disk full, a folder removed meanwhile) as one line, exit 2."""
    @functools.wraps(command)
    def wrapped(args) -> int:
        try:
            return command(args)
        except OSError as exc:
            raise ValueError(os_reason(exc)) from None
    return wrapped


def os_reason(exc: OSError) -> str:
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc.__class__.__name__}{where}"


def writable_file(path: Path, flag: str = "--out") -> Path:
    """``path`` when a file can be written there; else ValueError in one line, before any work: a folder given
    as the file, a device or other special file, a path under a file, a folder that refuses writes (read-only,
    /proc)."""
    if path.is_dir():
        raise ValueError(f"{flag} {path} is a folder; name a file in it")
    if os.path.lexists(path) and not path.is_file():
        raise ValueError(f"{flag} {path} exists and is not a regular file")
    writable_folder(path.parent, flag, shown=path)
    return path


def writable_folder(folder: Path, flag: str = "--out", shown: Path | None = None) -> Path:
    """``folder`` once a file has been created and removed in it, or in the closest folder above it that exists
    (the write creates the rest; nothing is created here); else ValueError in one line."""
    shown = folder if shown is None else shown
    existing = next((p for p in (folder, *folder.parents) if os.path.lexists(p)), Path("."))
    if not existing.is_dir():
        where = "is a file" if existing == shown else f"lies under {existing}, which is a file"
        raise ValueError(f"{flag} {shown} {where}, not a folder")
    try:
        probe = temporary_name(existing / "write-probe")
        probe.open("xb").close()
        probe.unlink()
    except OSError as exc:
        raise ValueError(f"{flag} {shown} cannot be written: {existing} takes no new file "
                         f"({exc.strerror or exc.__class__.__name__})") from None
    return folder


def default_out(config) -> Path:
    """``runs/<what the run is>-<its key>.pt``: readable, and one file per run, so two runs that differ in any
    setting (``--latent-dim``, ``--lr``, …) never share a default path."""
    o, m, t = config.objective, config.model, config.train
    labels = f"-labels{t.labels}" if t.labels else ""
    return Path("runs") / (f"{t.dataset}-{m.decoder}-beta{o.beta:g}-{o.schedule}-fb{o.free_bits:g}{labels}"
                           f"-seed{t.seed}-{config.key()}.pt")


def refuse_other_run(out: Path, config, force: bool) -> None:
    """ValueError (one line) when ``out`` holds something other than this run (another run's checkpoint, or
    any other file) and ``force`` is not given; the same run (same key) may be replaced by its retraining."""
    from .checkpoint import CheckpointError, read_payload
    from .config import RunConfig

    if force or not out.is_file():
        return
    try:
        key = RunConfig.from_dict(read_payload(out, accept_changed=True)["config"]).key()
    except (CheckpointError, KeyError, TypeError, AttributeError):
        raise ValueError(f"--out {out} exists and is not a checkpoint of this run; "
                         "pass --force to replace it, or choose another --out") from None
    if key != config.key():
        raise ValueError(f"--out {out} holds another run (key {key}; this run is {config.key()}); "
                         "pass --force to replace it, or choose another --out")


def save_trained(run, out: Path, force: bool) -> Path:
    """Save a finished run at ``out``; if that has become impossible while it trained (another run written there,
    the folder gone or full), save it in the temporary folder instead and say so in one line: never lose it. A run
    that did not complete (stopped, diverged) never replaces a file already at ``out`` without ``force``: it goes
    to the temporary folder, and the caller sees the other path."""
    from .checkpoint import save_run

    if run.status != "completed" and Path(out).exists() and not force:
        return save_run(run, _elsewhere(run, f"-{run.status}"))
    try:
        refuse_other_run(out, run.config, force)  # again: another process may have written there meanwhile
        return save_run(run, out)
    except (OSError, ValueError) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
        rescue = save_run(run, _elsewhere(run))
        raise ValueError(f"not saved at {out} ({reason}); the run is saved at {rescue} instead") from None


def _elsewhere(run, tag: str = "") -> Path:
    """A fresh file in the temporary folder for a run that cannot (or may not) be saved where it was asked."""
    return Path(tempfile.gettempdir()) / f"explorer-{run.config.key()}{tag}-{time.time_ns()}.pt"
