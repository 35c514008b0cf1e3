"""Where a shipped run comes from: the file's sha256, the commit its weights were trained at, how it was scored.

Users of every peer repository ask whether released models are what they claim. The gallery index
records, per file, its sha256 (the app refuses a file that does not match), the commit at which
its weights were first committed (found in git history by the weights themselves, so a rescore
that only rewrites metrics keeps it), the library versions the checkpoint was written with, and
the evaluation protocol behind its numbers.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
from pathlib import Path

#: The gallery index beside the files it vouches for.
INDEX = "index.json"

#: How every index number was measured (explorer.evaluation.evaluate with the gallery's protocol).
ESTIMATORS = {
    "mig": "disentanglement_lib's MIG: 20-bin histograms of the posterior means, plug-in MI and entropy, all 5 factors",
    "dci_disentanglement": "DCI with random forests (not disentanglement_lib's gradient-boosted trees)",
    "mi": "minibatch estimate of I(x; z) over the whole sample (He et al. 2019; at most ln N)",
    "z_usage": "median over 256 images of the nats an image's own code saves against 4 prior codes",
}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def recorded_sha256(path: Path) -> tuple[Path, str] | None:
    """(the index, the sha256 it records) for a checkpoint or views file that a gallery index beside it
    names; None when no index names it (any folder may hold a file called index.json, so one that is not a
    gallery index names nothing)."""
    path = Path(path).resolve()
    index = path.parent / INDEX
    try:
        runs = json.loads(index.read_text())["runs"]
        for record in runs:
            if record.get("file") == path.name and (record.get("provenance") or {}).get("sha256"):
                return index, record["provenance"]["sha256"]
            if record.get("views") == path.name and record.get("views_sha256"):
                return index, record["views_sha256"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return None


def shipped_mismatch(path: Path) -> str | None:
    """One line saying that ``path`` is not the file its gallery index vouches for, or None when it is (or
    when no index names it). The one check behind the app, ``eval``, ``traverse``, ``views`` and ``gallery``."""
    recorded = recorded_sha256(path)
    if recorded is None or not Path(path).is_file():  # a missing file is refused by whatever reads it
        return None
    index, expected = recorded
    actual = file_sha256(path)
    if actual == expected:
        return None
    folder = os.path.relpath(index.parent) if index.parent.is_relative_to(Path.cwd()) else str(index.parent)
    return (f"{Path(path).name} is not the file {folder}/{INDEX} records (sha256 {actual[:12]}…, recorded "
            f"{expected[:12]}…): it was changed or replaced; restore it, or record it with "
            f"python -m explorer gallery --out {folder} --stamp --accept \"<why>\"")


def weights_digest(payload: dict) -> str:
    """A hash of the weights alone (a rescore rewrites metrics, not weights)."""
    digest = hashlib.sha256()
    for name in sorted(payload["state_dict"]):
        digest.update(name.encode())
        digest.update(payload["state_dict"][name].detach().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _load(data: bytes | Path) -> dict:
    """A checkpoint's payload, to be hashed and described: the gallery reads each file with
    ``checkpoint.read_payload`` first, which refuses an unreadable one in one line."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    import torch  # only here: the pages check a file's sha256 without loading torch

    return torch.load(source, map_location="cpu", weights_only=True)


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.decode(errors="replace").strip()


def head_commit(root: Path) -> str | None:
    """The checked-out commit, with '+dirty' when tracked files differ from it (None outside git)."""
    head = _git(root, "rev-parse", "HEAD")
    if head is None:
        return None
    dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    return head + ("+dirty" if dirty else "")


def weights_commit(path: Path) -> str | None:
    """The oldest commit whose version of ``path`` holds the same weights as the file now (None if never committed)."""
    path = Path(path).resolve()
    root = _git(path.parent, "rev-parse", "--show-toplevel")
    if root is None:
        return None
    rel = path.relative_to(root).as_posix()
    commits = (_git(Path(root), "log", "--format=%H", "--", rel) or "").split()
    target, found = weights_digest(_load(path)), None
    for commit in commits:  # newest first: keep stepping back while the weights stay the same
        try:
            blob = subprocess.run(["git", "show", f"{commit}:{rel}"], cwd=root, capture_output=True, timeout=60,
                                  check=True).stdout
            if weights_digest(_load(blob)) != target:
                break
        except (OSError, subprocess.SubprocessError, RuntimeError, KeyError):
            break
        found = commit
    return found


def provenance(path: Path, record: dict, samples: int, seed: int, trained_at: str | None) -> dict:
    """The provenance block of one index record for the checkpoint at ``path``."""
    payload = _load(path)
    return {"sha256": file_sha256(path), "weights_sha256": weights_digest(payload),
            "trained_at_commit": trained_at, "command": record.get("command"),
            "versions": payload.get("versions") or {}, "written": payload.get("created"),
            "metrics": {"samples": samples, "seed": seed, "estimators": ESTIMATORS}}
