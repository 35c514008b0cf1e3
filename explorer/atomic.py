"""One way to write a file so that a reader never sees half of it: a hidden temporary beside the
target, flushed and fsync'd, then ``os.replace``. Whatever is killed when, a reader sees the old
file or the new one, and after a power cut the new one is whole. Used for checkpoints, views,
sweep files and the gallery index.
"""
from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


def temporary_name(path: Path) -> Path:
    """``.<name>.<random>.tmp`` in the same folder (same file system, so the rename is atomic)."""
    return path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"


@contextmanager
def atomic_file(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """Yield an open temporary; on a clean exit it is fsync'd and renamed onto ``path``, else removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    encoding = None if "b" in mode else "utf-8"
    try:
        with open(tmp, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_file(path, "wb") as f:
        f.write(data)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    with atomic_file(path, "w") as f:
        f.write(text)
    return Path(path)
