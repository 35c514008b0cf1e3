"""Reading run references and numbers from the URL: clamp or ignore, and say so; never raise."""
from __future__ import annotations

import math

MAX_VALUE_LENGTH = 200


def parse_number(raw: str | None, lo: float, hi: float, default: float, integer: bool = False, name: str = "value"):
    """(value, notice): the number in [lo, hi], or the default with a one-line notice why."""
    if raw is None or raw == "":
        return default, None
    if len(raw) > MAX_VALUE_LENGTH:
        return default, f"ignored an overlong {name} in the link"
    try:
        value = float(raw)
    except ValueError:
        return default, f"ignored {name}={raw[:20]!r} from the link: not a number"
    if not math.isfinite(value):
        return default, f"ignored {name}={raw[:20]!r} from the link: not a finite number"
    clamped = min(max(value, lo), hi)
    if integer:
        clamped = int(round(clamped))
    notice = None if clamped == value else f"{name} from the link was clamped to {clamped:g} (allowed {lo:g}…{hi:g})"
    return clamped, notice


def parse_run_refs(raw: str | None, known: dict[str, str], limit: int = 4) -> tuple[list[str], list[str]]:
    """(references that exist, notices about the ones dropped)."""
    if not raw:
        return [], []
    if len(raw) > 1000:
        return [], ["ignored an overlong list of runs in the link"]
    refs, notices = [], []
    for ref in (r.strip() for r in raw.split(",") if r.strip()):
        if ref in known and ref not in refs:
            refs.append(ref)
        elif ref not in known:
            notices.append(f"run {ref[:40]!r} from the link is not on this server; it was left out")
    if len(refs) > limit:
        notices.append(f"showing the first {limit} of {len(refs)} runs from the link")
    return refs[:limit], notices
