"""Sentences about results, written from the numbers they describe (no Streamlit).

A page that says "at large β most dimensions switch off" beside a table where they do not teaches
the wrong lesson; every claim here is computed from the gallery records it talks about, and says
the opposite when the numbers say the opposite.
"""
from __future__ import annotations

import numpy as np


def ladder_points(entries: list) -> list[dict]:
    """One point per β of a ladder (gallery records of one decoder), sorted by β."""
    points = []
    for e in entries:
        m = e.metrics
        points.append({"run": f"g:{e.name}", "beta": float(e.config.objective.beta), "mig": m.get("mig"),
                       "recon": m.get("recon"), "informative_units": m.get("informative_units"), "kl": m.get("kl")})
    return sorted(points, key=lambda p: p["beta"])


def _arrow(points: list[dict], key: str, fmt: str) -> str:
    return " → ".join(fmt.format(p[key]) if p[key] is not None else "–" for p in points)


def ladder_summary(points: list[dict]) -> str:
    """What the ladder's numbers show, in three sentences: reconstruction, MIG, informative dimensions."""
    if len(points) < 2 or any(p[k] is None for p in points for k in ("mig", "recon", "informative_units", "kl")):
        return "This ladder lacks the numbers to summarise (rescore the gallery)."
    betas = " → ".join(f"{p['beta']:g}" for p in points)
    recon = [p["recon"] for p in points]
    rises = all(b > a for a, b in zip(recon, recon[1:]))
    out = [f"As β rises {betas}, reconstruction NLL goes {_arrow(points, 'recon', '{:.0f}')} nats: "
           + ("worse at every step, the price of a costlier code." if rises else "mostly worse, though not at every step.")]
    mig = [p["mig"] for p in points]
    peak = int(np.argmax(mig))
    line = f"MIG goes {_arrow(points, 'mig', '{:.2f}')}"
    if peak == 0:
        line += ": no higher β beat β = {:g} here.".format(points[0]["beta"])
    elif peak == len(points) - 1:
        line += f": best at the largest β, {points[peak]['beta']:g}."
    else:
        line += f": best at β = {points[peak]['beta']:g}, lower again beyond it."
    out.append(line)
    units = [p["informative_units"] for p in points]
    kls = _arrow(points, "kl", "{:.1f}")
    if units[-1] < units[0] and len(set(units[1:])) == 1:
        out.append(f"Informative dimensions go {_arrow(points, 'informative_units', '{:d}')}: β = {points[1]['beta']:g} "
                   f"already sheds the extra ones, and beyond it the same {units[-1]} stay while each carries less "
                   f"(KL {kls} nats) rather than switching off.")
    elif units[-1] < units[0]:
        out.append(f"Informative dimensions go {_arrow(points, 'informative_units', '{:d}')} (KL {kls} nats): "
                   "larger β switches dimensions off.")
    else:
        out.append(f"Informative dimensions stay at {_arrow(points, 'informative_units', '{:d}')} (KL {kls} nats): "
                   "β shrinks what each carries rather than switching any off.")
    return " ".join(out)


def collapse_summary(collapse, cure) -> str:
    """The collapse lesson from the two gallery records."""
    a, b = collapse.metrics, cure.metrics
    if any(m.get(k) is None for m in (a, b) for k in ("z_usage", "informative_units", "kl", "mi")):
        return "The collapse and cure runs lack the numbers to compare (rescore the gallery)."
    ratio = b["z_usage"] / max(a["z_usage"], 1e-9)
    verdict = ("the collapsed decoder draws without its code" if a["informative_units"] == 0 and ratio >= 10
               else "here the two runs differ less than the lesson expects")
    carry = "latent carries" if a["informative_units"] == 1 else "latents carry"
    return (f"Same autoregressive decoder, β = 1: without help its code saves {a['z_usage']:.1f} nats per image and "
            f"{a['informative_units']} {carry} information (KL {a['kl']:.2f} nats, I(x;z) {a['mi']:.2f}); with a "
            f"KL warm-up and free bits it saves {b['z_usage']:.1f} nats ({ratio:.0f}× more) and {b['informative_units']} "
            f"latents carry information (KL {b['kl']:.1f}, I(x;z) {b['mi']:.1f}): {verdict}.")


#: A latent below this many nats (½·log(1 + Var μ / E σ²)) carries no information (explorer.metrics.collapse).
NO_INFORMATION_NATS = 0.1


def mig_blind_spot(metrics: dict, factor_names, dim_names: list[str]) -> str:
    """Why the means-based MI heatmap can light up where no latent carries information, from the run's numbers
    ('' when it does not): MIG bins the posterior means and cannot see how noisy each latent is."""
    mi, nats = metrics.get("mi_matrix"), metrics.get("informative_nats")
    if not mi or not nats:
        return ""
    m = np.asarray(mi, dtype=float)
    quiet = [d for d, v in enumerate(nats) if v <= NO_INFORMATION_NATS]
    if not quiet:
        return ""
    k, d = np.unravel_index(int(np.argmax(m[:, quiet])), (m.shape[0], len(quiet)))
    d = quiet[d]
    peak = float(m[k, d])
    if peak <= NO_INFORMATION_NATS:
        return ""
    name = dim_names[d] if d < len(dim_names) else f"z{d}"
    if len(quiet) == len(nats):
        mig = metrics.get("mig")
        return (f"No latent carries information (the most any carries is {max(nats):.2f} nats, below "
                f"{NO_INFORMATION_NATS:g}), yet the MI of the posterior means reaches {peak:.2f} nats ({name}, "
                f"{factor_names[k]}): each mean still moves with the image, but posterior noise of σ ≈ 1 buries it. "
                "MIG bins the means and cannot see σ" + (f", which is how it scores this run {mig:.3f}." if mig is not None
                                                        else "."))
    return (f"Greyed latents carry no information (at most {NO_INFORMATION_NATS:g} nats each), yet their means reach "
            f"{peak:.2f} nats of MI ({name}, {factor_names[k]}): MIG, which bins the means, counts them anyway.")


def mig_ranking_note(runs: dict) -> str:
    """'' unless MIG ranks a run whose latents carry nothing above one whose latents carry something."""
    scored = {ref: (r.metrics.get("mig"), r.metrics.get("informative_units")) for ref, r in runs.items()}
    scored = {ref: v for ref, v in scored.items() if None not in v}
    for a, (mig_a, units_a) in scored.items():
        for b, (mig_b, units_b) in scored.items():
            if units_a == 0 and units_b > 0 and mig_a > mig_b:
                return (f"MIG ranks {a} ({mig_a:.3f}) above {b} ({mig_b:.3f}) although {a}'s latents carry nothing "
                        f"and {b}'s {units_b} carry information: MIG's blind spot. It reads the posterior means, not "
                        "how noisy they are; the bars under each heatmap (what each latent carries) tell them apart.")
    return ""


def seed_spread_summary(points: list[dict]) -> str:
    """The Pinned axes takeaway: where labels help (MIG or DCI), from the medians over seeds."""
    def median(key: str, labelled: bool):
        values = [p[key] for p in points if bool(p["labels"]) == labelled and p.get(key) is not None]
        return float(np.median(values)) if values else None

    parts = []
    for key, name in (("mig", "MIG"), ("dci_disentanglement", "DCI disentanglement")):
        without, with_ = median(key, False), median(key, True)
        if without is None or with_ is None:
            continue
        diff = with_ - without
        verdict = "no real change" if abs(diff) < 0.02 else ("better with labels" if diff > 0 else "worse with labels")
        parts.append(f"median {name} {without:.3f} without labels, {with_:.3f} with them: {verdict}")
    if not parts:
        return ""
    return "Over these seeds, " + "; ".join(parts) + "."


def seed_spread_by_beta(runs) -> str:
    """The seed spread behind each β of a sweep's table (columns beta, seed, status, mig), in one sentence."""
    if runs is None or len(runs) == 0 or not {"beta", "mig", "status"} <= set(runs.columns):
        return ""
    done = runs[(runs["status"] == "completed") & runs["mig"].notna()]
    if done.empty:
        return ""
    groups = sorted(done.groupby("beta")["mig"], key=lambda item: float(item[0]))
    if len(groups) < 2:
        return ""
    medians = [float(np.median(g)) for _, g in groups]
    spans = [(float(g.min()), float(g.max())) for _, g in groups]
    widest = max(range(len(spans)), key=lambda i: spans[i][1] - spans[i][0])
    change = max(medians) - min(medians)
    width = spans[widest][1] - spans[widest][0]
    verdict = ("wider than" if width > 1.1 * change else "narrower than" if width < 0.9 * change else "about as wide as")
    seeds = done.groupby("beta")["seed"].nunique()
    count = f"{int(seeds.min())}" if seeds.min() == seeds.max() else f"{int(seeds.min())}–{int(seeds.max())}"
    return (f"Behind each β, {count} seeds of the same recipe: median MIG "
            + " → ".join(f"{m:.2f}" for m in medians) + " across β = " + " → ".join(f"{float(b):g}" for b, _ in groups)
            + f"; at β = {float(groups[widest][0]):g} the seeds span {spans[widest][0]:.2f}–{spans[widest][1]:.2f}, "
            f"{verdict} the whole change of the median across β ({change:.2f}).")


def beta_headline(runs) -> str:
    """Lesson 1's headline, saying only what the seed spread behind it allows (a sweep's table: beta, seed,
    status, mig); without a sweep it claims no more than the cost."""
    done = runs[(runs["status"] == "completed") & runs["mig"].notna()] if runs is not None and len(runs) and \
        {"beta", "mig", "status"} <= set(runs.columns) else None
    if done is None or done["beta"].nunique() < 2:
        return "1 · Raising β makes the code costlier, paid in reconstruction"
    groups = sorted(done.groupby("beta")["mig"], key=lambda item: float(item[0]))
    medians = [float(np.median(g)) for _, g in groups]
    widest = max(float(g.max() - g.min()) for _, g in groups)
    if medians[-1] <= medians[0]:
        return "1 · Raising β costs reconstruction, and here it does not buy one factor per axis"
    if widest > medians[-1] - medians[0]:
        return "1 · Raising β buys one factor per axis in the median seed, paid in reconstruction; the seed matters as much"
    return "1 · Raising β buys one factor per axis, paid in reconstruction"

