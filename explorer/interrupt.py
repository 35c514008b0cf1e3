"""Ctrl-C during ``train``: the first stops the training after the current step and keeps the run (saved as
cancelled, with its steps so far); a second quits at once. Either way the user reads one line, not a traceback."""
from __future__ import annotations

import signal
import sys
import threading

FIRST = "\nstopping after this step: the run so far will be saved as cancelled (Ctrl-C again to quit without it)"


class StopOnInterrupt:
    """A ``stop()`` callable for ``train`` that turns true at the first SIGINT while the block runs."""

    def __init__(self):
        self.asked = False
        self._previous = None

    def __call__(self) -> bool:
        return self.asked

    def __enter__(self) -> "StopOnInterrupt":
        if threading.current_thread() is threading.main_thread():  # only the main thread may set a handler
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum, frame) -> None:
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True
        print(FIRST, file=sys.stderr, flush=True)
