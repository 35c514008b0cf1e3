"""The words beside a set of runs on Compare: where each run comes from, which images its numbers were
measured on, and why its MIG is what it is, all written from the runs' own records (no Streamlit)."""
from __future__ import annotations

import numpy as np

from .runs import factor_names, gallery_record


def provenance_text(ref: str) -> str:
    """A gallery run's provenance from the index: its file's sha256, the commit of its weights, command, versions."""
    kind, _, name = ref.partition(":")
    entry = gallery_record(name) if kind == "g" else None
    p = entry.provenance if entry else None
    if not p:
        return ""
    versions = ", ".join(f"{k} {v}" for k, v in (p.get("versions") or {}).items())
    m = p.get("metrics") or {}
    return (f"**File** `{entry.file}`, sha256 `{p['sha256'][:16]}…` (checked when loaded)  \n"
            f"**Weights first committed in** `{(p.get('trained_at_commit') or 'unknown')[:12]}`  \n"
            f"**Reproduce**: `{p.get('command')}`  \n**Written with** {versions}  \n"
            f"**Scored on** {m.get('samples', '?'):,} fresh images, seed {m.get('seed', '?')}; "
            + "; ".join(f"{k}: {v}" for k, v in (m.get("estimators") or {}).items()))


def why_mig_is_low(runs: dict) -> str:
    """Which MIG this is, and what limits it for the runs on screen (their per-factor gaps, computed here)."""
    lines = ["**Which MIG this is**: disentanglement_lib's: posterior means binned in 20 equal-width bins per "
             "latent, plug-in MI with each of the 5 dSprites factors (shape included), on 10,000 fresh images. "
             "It is the mean over factors of (MI of the best latent − MI of the runner-up) / H(factor)."]
    gaps = {ref: run.metrics.get("mig_gaps") for ref, run in runs.items() if run.metrics.get("mig_gaps")}
    if gaps:
        names = factor_names(next(run for ref, run in runs.items() if ref in gaps))
        rows = ["| run | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
        rows += [f"| {ref} | " + " | ".join(f"{g:.2f}" for g in gap) + " |" for ref, gap in gaps.items()]
        weakest = {ref: names[int(np.argmin(gap))] for ref, gap in gaps.items()}
        lines.append("**Each factor's gap** (the MIG is their mean): the weakest is "
                     + ", ".join(f"{name} for {ref}" for ref, name in weakest.items()) + ".\n\n" + "\n".join(rows))
    orientation = [gap[names.index("orientation")] for gap in gaps.values()] if gaps and "orientation" in names else []
    measured = (f"its gap here is at most {max(orientation):.2f}, " if orientation else "")
    lines.append("**Orientation rarely gets an axis of its own**: squares repeat every 90° and ellipses every 180°, so "
                 f"much of orientation cannot be read from the image; {measured}and a factor with no axis of its "
                 "own takes a fifth of the possible MIG with it.")
    lines.append("**The seed matters as much as the setting** (Locatello et al. 2019): the same configuration trained "
                 "with other seeds scores very differently; see the Pinned axes page and the seed spread of a sweep.")
    lines.append("**Papers report other numbers**: Chen et al.'s MIG estimates MI from samples of q(z|x) over all "
                 "737,280 images and leaves shape out; other repositories differ again. Compare numbers only when "
                 "they were computed the same way.")
    return "\n\n".join(lines)


def sample_note(runs: dict) -> str:
    """Which images the table's numbers were measured on, per run (a number means little without its sample)."""
    def words(sample: dict) -> str:
        n = sample.get("samples")
        return f"{sample.get('name', '?')}: {n:,} images, seed {sample.get('seed')}" if n else str(sample.get("name", "?"))
    samples = {ref: words(run.metrics_sample or {}) for ref, run in runs.items()}
    if len(set(samples.values())) == 1:
        return f"Every number above was measured on the same fresh sample ({next(iter(samples.values()))})."
    return "Measured on: " + "; ".join(f"{ref} — {text}" for ref, text in samples.items()) + "."


def extra_note(runs: dict) -> str:
    """Where the slower scores come from, and which runs have none."""
    scored = {ref: run.extra["sample"] for ref, run in runs.items() if (run.extra or {}).get("sample")}
    missing = [ref for ref in runs if ref not in scored]
    text = ""
    if scored:
        sample = next(iter(scored.values()))
        text = (f"DCI, SAP and the FactorVAE score: computed once when the run was stored, on a fresh "
                f"{sample['samples']:,}-image sample (seed {sample['seed']}).")
    if missing:
        text += (" " if text else "") + (f"Not computed for {', '.join(missing)}: runs trained on this server, sweep "
                                         "runs and views computed here skip them (tens of seconds each); "
                                         "`python -m explorer views CHECKPOINT` computes them.")
    return text
