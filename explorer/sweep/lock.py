"""Who may write a folder: an exclusive ``flock`` held for a process's lifetime, released by the OS if it dies.

The engine holds ``<out>/.lock`` while it plans and dispatches (one engine per sweep folder); each worker
holds ``<out>/<key>/.lock`` while it trains its run (one live trainer per run folder, whichever engine or
node started it). A run's lock file is removed when it is released, so a finished folder holds only the
contract's files; a process that finds the file replaced after it locked it locks again.
"""
from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: no locks, as before
    fcntl = None

LOCK = ".lock"


class Held(Exception):
    """Another live process holds the lock."""


class FolderLock:
    """``with FolderLock(path):`` holds ``path`` exclusively or raises Held at once (never waits)."""

    def __init__(self, path: Path, remove: bool = False):
        self.path, self.remove, self.file = Path(path), remove, None

    def __enter__(self) -> "FolderLock":
        while True:
            file = open(self.path, "a")
            if fcntl is None:
                break
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                file.close()
                raise Held(str(self.path)) from None
            try:
                if os.stat(self.path).st_ino == os.fstat(file.fileno()).st_ino:
                    break  # still the file at this path: its owner did not remove it meanwhile
            except FileNotFoundError:
                pass
            file.close()
        self.file = file
        return self

    def __exit__(self, *exc) -> None:
        if self.remove:
            try:
                os.unlink(self.path)
            except OSError:
                pass
        self.file.close()


def held(path: Path) -> bool:
    """Whether a live process holds the lock at ``path`` now (False when there is no lock file)."""
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY)  # never creates the file
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False
