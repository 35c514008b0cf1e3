"""The shipped gallery's index (checkpoints/index.json) as typed records: what the pages list and link to.

Pages read a run's settings as a ``RunConfig`` and its numbers as a dict measured on the sample the
record names, never as raw nested dicts; no torch here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .config import RunConfig


@dataclass(frozen=True)
class GalleryRecord:
    name: str
    title: str
    role: str  # beta-ladder, collapse, cure, seed-spread, pinned
    file: str
    config: RunConfig
    metrics: dict
    metrics_sample: dict = field(default_factory=dict)
    command: str = ""
    provenance: dict = field(default_factory=dict)
    views: str | None = None  # the views file beside the checkpoint (explorer.view_data)
    views_sha256: str | None = None
    train_seconds: float | None = None

    @property
    def ref(self) -> str:
        """The reference a link uses for this run."""
        return f"g:{self.name}"

    @property
    def sha256(self) -> str | None:
        """The checkpoint's sha256 as the index vouches for it."""
        return (self.provenance or {}).get("sha256")


def record_from_dict(d: dict) -> GalleryRecord:
    return GalleryRecord(name=d["name"], title=d.get("title", d["name"]), role=d.get("role", ""), file=d["file"],
                         config=RunConfig.from_dict(d["config"]), metrics=d.get("metrics") or {},
                         metrics_sample=d.get("metrics_sample") or {}, command=d.get("command", ""),
                         provenance=d.get("provenance") or {}, views=d.get("views"),
                         views_sha256=d.get("views_sha256"), train_seconds=d.get("train_seconds"))


def read_index(folder: Path) -> list[GalleryRecord]:
    """Every record of ``folder/index.json`` (none when there is no index)."""
    path = Path(folder) / "index.json"
    if not path.exists():
        return []
    return [record_from_dict(d) for d in json.loads(path.read_text())["runs"]]
