"""Length-prefixed pickled messages between the server and a child process it started itself.

Pickle is safe here only because both ends are our own processes on a private pipe: nothing from a
visitor or a file is ever read with it.
"""
from __future__ import annotations

import pickle
import struct
import subprocess

_HEADER = struct.Struct("!I")


def send(stream, obj) -> bool:
    """Write one message; False (nothing raised) when the other end is gone: its exit is reported elsewhere."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        stream.write(_HEADER.pack(len(data)) + data)
        stream.flush()
    except (BrokenPipeError, ValueError, OSError):
        return False
    return True


def receive(stream):
    """Read one message; EOFError when the stream ends (the other end closed or died)."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def end_child(child, timeout: float) -> None:
    """Close a child's input (our children take end-of-input as "stop"), give it ``timeout`` s, then kill it."""
    try:
        child.stdin.close()
    except OSError:
        pass
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
