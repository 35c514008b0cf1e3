"""Page: the two lessons, stated carefully, with pointers to where each is measured."""
from __future__ import annotations

import streamlit as st

from ..config import FACTOR_NAMES
from ..metrics import seed_summary
from .run_views import shipped_sweep_note
from .runs import gallery_index

TEXT = """
### The β spectrum
The β-VAE multiplies the KL term of the ELBO by β. Every nat the code carries about an image then costs β
nats of objective, so the encoder keeps only what pays for itself in reconstruction. Because the prior is
factorised (independent unit Gaussians), the cheapest way to carry several independent factors is one factor per
axis: on dSprites, with β around 4–12, rows of a traversal grid tend to move the sprite, scale it or (less
often) rotate it, one at a time, while reconstructions blur. Larger β still squeezes what each dimension carries
(the KL falls); whether it also switches dimensions off depends on the decoder: the **β ladder** page measures both
ladders and says which.

### Why only some decoders collapse
Posterior collapse is the code being ignored: q(z|x) equals the prior for every image, KL = 0. It is the
optimum only when the decoder can model the data without z. A **factorised** decoder (every pixel independent
given z; `mlp`, `conv`, `broadcast`) cannot: without z it can only draw the average image, {without_z}
while the information a code can carry about one of 737,280 images, I(x; z), is at most ln 737,280 ≈ 13.5 nats
(the KL can be larger: it also pays for the posterior's noise). So at β = 1 it never collapses, however
large it is. An **autoregressive** decoder (`pixelcnn1…8`) sees the pixels above and to the left of the one it
draws; once its receptive field covers a sprite's first rows, shape, scale and orientation are predictable
from the image itself and only the position surprises it. Early in training z is noise, the decoder learns to
do without it, the encoder gets no gradient, and the KL falls to zero: the start-of-training race.

### The cures, and reading them honestly
**KL annealing** (a warm-up from weight 0) lets the decoder learn to read z before the code is charged.
**Free bits** make each dimension's first λ nats free. But then the KL sits near (number of dims) × λ even when
the code carries little, so the **KL curve stops being a collapse signal**: watch **informative units** and the
**mutual-information estimate I(x; z)** instead. The classic **active-unit** count (Burda et al.: variance of the
posterior mean over the data > 0.01) depends on the code's scale and misleads both ways: a collapsed latent whose
means jitter while its σ ≈ 1 counts as active, and a latent carrying information at a tiny scale (small means,
even smaller σ) counts as dead. The informative-unit count compares the spread of the means with the posterior's
own noise, ½·log(1 + Var(μ)/E[σ²]) > 0.1 nat, and is not fooled either way. **z-usage** shows *where* the code
is read: per pixel, how many nats the image's own code saves the decoder against random codes. Its scale depends
on the decoder: fed a random code, a factorised decoder draws a confident wrong sprite, so it saves thousands of
nats; an autoregressive one still reads the image and saves tens.

{collapse_facts}

### Pinned axes
Which axis ends up holding which factor is, without supervision, up to the seed. A few hundred labelled images
pin dimension *k* to factor *k* and name it; the **Pinned axes** page measures the trade over seeds.

### What a score can and cannot tell you
Locatello et al. (2019) proved that without inductive biases unsupervised disentanglement cannot be
guaranteed: an entangled model can fit the data exactly as well, and which one you get depends on the model's
biases and even the random seed. Report a metric (MIG here), and its spread over seeds, not a few
hand-picked traversal rows. dSprites shows why in miniature: posX and posY are interchangeable, and turning the
(posX, posY) pair of axes costs the β-VAE almost nothing, so whether position lands on two axes or is shared diagonally
by two is left to the seed. {seed_facts}
"""


#: Reconstruction NLL (nats per image) of the best picture without z, the average dSprites image; measured
#: on a fresh sample by tests/test_lesson_views.py, which fails if this drifts.
AVERAGE_IMAGE_NLL = 570


def without_z_fact(records: dict) -> str:
    """The price of drawing without z, set against a β = 1 factorised run that reads z (from the gallery)."""
    run = records.get("recipe-beta1")
    recon = run.metrics.get("recon") if run is not None else None
    versus = f", against {recon:.0f} for the β = 1 recipe that reads z;" if recon is not None else ";"
    return f"which costs about {AVERAGE_IMAGE_NLL} nats per image{versus}"


def collapse_facts(records: dict) -> str:
    """The gallery's collapse pair in numbers (empty when the gallery lacks it)."""
    if not {"collapse", "cure"} <= set(records):
        return ""
    a, b = records["collapse"].metrics, records["cure"].metrics
    if any(m.get(k) is None for m in (a, b) for k in ("active_units", "informative_units", "kl", "z_usage")):
        return ""
    return (f"In this gallery the collapsed run counts {a['active_units']} active units at a total KL of "
            f"{a['kl']:.2f} nats but {a['informative_units']} informative ones, and its code saves "
            f"{a['z_usage']:.1f} nats per image; its cure: {b['active_units']} active, {b['informative_units']} "
            f"informative, {b['z_usage']:.1f} nats saved.")


def seed_facts(records: list) -> str:
    """Each factor's MIG gap over the recipe's seeds, from the gallery (empty when it lacks them)."""
    gaps = [r.metrics.get("mig_gaps") for r in records if r.role == "seed-spread"]
    if len(gaps) < 2 or any(g is None for g in gaps):
        return ""
    spans = ", ".join(f"{name} {' / '.join(f'{g[k]:.2f}' for g in gaps)}" for k, name in enumerate(FACTOR_NAMES))
    return (f"In this gallery's {len(gaps)} recipe seeds the per-factor MIG gaps are: {spans}. The factors whose "
            "gaps differ most between seeds are the ones the seed decides.")


def about_page(links: dict | None = None) -> None:
    st.title("About the two lessons")
    entries = gallery_index()
    by_role = {e.role: e for e in entries}
    st.markdown(TEXT.format(collapse_facts=collapse_facts(by_role), seed_facts=seed_facts(entries),
                            without_z=without_z_fact({e.name: e for e in entries})))
    seeds = [e.metrics["mig"] for e in entries if e.role == "seed-spread" and "mig" in e.metrics]
    if len(seeds) >= 2:
        s = seed_summary(seeds)
        st.info(f"In this gallery, the same configuration trained with {s['n']} seeds scores MIG from "
                f"{s['min']:.3f} to {s['max']:.3f} (median {s['median']:.3f}): the seed matters.")
    if links:
        shipped_sweep_note(links)
