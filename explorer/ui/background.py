"""Work a page needs but must not do on a visitor's request: a missing views file, a traversal from
another start image. One process-wide ``Background`` runs each piece once, in a daemon thread; pages
ask for it by key, show its status in words while it runs, and poll until it is done.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import streamlit as st

#: A failed piece of work is tried again after this long (a transient error should not stick forever).
RETRY_SECONDS = 60.0
#: How often a page waiting on work looks again.
POLL_SECONDS = 1.0


@dataclass
class Task:
    key: str
    label: str
    started: float = field(default_factory=time.time)
    finished: float | None = None
    result: Any = None
    error: str = ""

    @property
    def done(self) -> bool:
        return self.finished is not None


class Background:
    """Each key's work runs once; its Task is kept so that every session sees the same result."""

    def __init__(self):
        self._tasks: dict[str, Task] = {}
        self._lock = threading.Lock()

    def request(self, key: str, label: str, work: Callable[[], Any]) -> Task:
        with self._lock:
            task = self._tasks.get(key)
            stale = task is not None and task.error and time.time() - (task.finished or 0) > RETRY_SECONDS
            if task is not None and not stale:
                return task
            task = self._tasks[key] = Task(key, label)
        threading.Thread(target=self._run, args=(task, work), name=f"background-{key[:24]}", daemon=True).start()
        return task

    def forget(self, key: str) -> None:
        with self._lock:
            self._tasks.pop(key, None)

    @staticmethod
    def _run(task: Task, work: Callable[[], Any]) -> None:
        try:
            task.result = work()
        except Exception as exc:  # shown on the page in one line
            lines = str(exc).strip().splitlines()
            task.error = f"{exc.__class__.__name__}: {lines[-1] if lines else ''}".rstrip(": ")
        finally:
            task.finished = time.time()


@st.cache_resource
def background() -> Background:
    return Background()


def show_pending(tasks: list[Task]) -> None:
    """Say in words what is being computed and for how long, and rerun the page when it is done."""
    for task in tasks:
        st.status(f"{task.label} ({time.time() - task.started:.0f} s so far; the page fills in when it is done)",
                  state="running")

    @st.fragment(run_every=POLL_SECONDS)
    def poll() -> None:
        if all(t.done for t in tasks):
            st.rerun()

    poll()
