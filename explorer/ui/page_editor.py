"""Page: the slider-based image editor of the textbook's "You Could Build This".

The URL holds the whole edit (run, image or uploaded picture, moved sliders), so a shared link
reopens it. Widgets read the URL once, when their key is absent, and are then created with only
``key=``: a default re-read from the URL on every rerun fights the URL writes and drops changes.
"""
from __future__ import annotations

import math
import zlib

import numpy as np
import streamlit as st

from ..code_ranges import RANGE_SAMPLE
from ..images import ImageRejected, image_to_input
from ..naming import dimension_names, used_dims
from . import run_models, runs
from .editor_link import LinkValueError, WIDEN, decode_image, encode_image, format_edits, parse_edits, slider_range
from .params import parse_number

MAX_UPLOAD_MB = 5
SOURCES = ("dSprites image", "upload")
DEFAULT_INDEX = 123_456
RUN_KEY, ORIGIN_KEY, SOURCE_KEY, INDEX_KEY, LAST_INDEX_KEY, CONTEXT_KEY = (
    "editor-run", "editor-run-origin", "editor-source", "editor-image", "editor-last-index", "editor-context")


def editor_page() -> None:
    st.title("Slider editor")
    st.caption("Encode an image to its posterior mean, then move one slider per active latent dimension; each slider "
               "is named after the factor that dimension captures best. On a disentangled model one slider moves the "
               "sprite across, one up and down, one scales it; rotation rarely gets a slider of its own on dSprites "
               "(its MIG gap is 0.10 at most in the shipped runs: squares repeat every 90°, ellipses every 180°).")
    known = runs.available_runs()
    if not known:
        st.info("No runs on this server yet.")
        return
    arrived = RUN_KEY not in st.session_state or st.session_state[RUN_KEY] not in known
    best = most_disentangled()
    if arrived:
        _init_run(known, best)
    ref = st.selectbox("Model", list(known), format_func=lambda r: known[r], key=RUN_KEY)
    st.query_params["run"] = ref
    if best and ref == best[0] and st.session_state.get(ORIGIN_KEY) == "default":
        st.caption(f"Opened on **{best[1]}** (`{ref}`), the gallery's most disentangled run by MIG {best[2]:.2f}.")
    elif not best or ref != best[0]:
        st.session_state[ORIGIN_KEY] = "user"
    with st.spinner(run_models.loading_text()):
        run, error = run_models.get_run(ref)
    if error:
        st.error(error)
        return
    try:
        _edit(ref, run, arrived)
    except run_models.WorkerError as exc:
        st.error(f"The model process could not answer: {exc}")


def _edit(ref: str, run, arrived: bool) -> None:
    """The picture, its sliders and the three images, for a run the model process can encode and decode."""
    source = source_image()
    if source is None:
        return
    x, tag = source
    # a new run or image starts from its own encoded values: old slider positions belong to other dims
    if not arrived and st.session_state.get(CONTEXT_KEY) not in (None, (ref, tag)):
        st.query_params.pop("edit", None)
    st.session_state[CONTEXT_KEY] = (ref, tag)
    mean = run_models.encode(run, x)
    # without recorded variances every dim is offered; dims named by labels are offered even if quiet
    recorded = run.metrics.get("posterior_mean_variance")
    pinned = [int(d) for d in run.metrics.get("pinned") or {}]
    active = sorted(set(used_dims(run.metrics) if recorded else range(len(mean))) | set(pinned))
    if not active:
        st.warning("This model has no informative latent dimension (its code collapsed): every slider would do nothing.")
        return
    code = edit_sliders(ref, tag, run, mean, active)
    edited = run_models.cached_decode(ref, tuple(float(round(v, 4)) for v in code), run)
    recon = run_models.cached_decode(ref, tuple(float(round(v, 4)) for v in mean), run)
    c = st.columns(3)
    c[0].image(x, caption="input", width=192, clamp=True)
    c[1].image(recon, caption="reconstruction (mean code)", width=192, clamp=True)
    c[2].image(edited, caption="edited", width=192, clamp=True)
    st.caption(run.picture_note.capitalize() + ".")


def most_disentangled() -> tuple[str, str, float] | None:
    """(ref, title, MIG) of the gallery's highest-MIG run: the first view should show sliders that each do one thing."""
    scored = [(e.metrics["mig"], e) for e in runs.gallery_index()
              if isinstance(e.metrics.get("mig"), (int, float)) and math.isfinite(e.metrics["mig"])]
    if not scored:
        return None
    mig, entry = max(scored, key=lambda s: s[0])
    return entry.ref, entry.title, float(mig)


def _init_run(known: dict[str, str], best) -> None:
    linked = st.query_params.get("run")
    if linked in known:
        st.session_state[RUN_KEY], st.session_state[ORIGIN_KEY] = linked, "link"
        return
    if linked:
        st.info(f"Run {linked[:40]!r} from the link is not on this server; showing another.")
    st.session_state[RUN_KEY] = best[0] if best and best[0] in known else next(iter(known))
    st.session_state[ORIGIN_KEY] = "default"


def edit_sliders(ref: str, tag: str, run, mean: np.ndarray, active: list[int]) -> np.ndarray:
    """The code the sliders set; writes the moved ones to ``edit=`` in the URL."""
    try:
        lo, hi = run_models.cached_code_ranges(ref, "data", run)
        header = (f"each spans the 1st–99th percentile of its dimension's posterior means over "
                  f"{RANGE_SAMPLE:,} real images, widened by {WIDEN:.0%} of that width each side")
    except (OSError, ValueError, run_models.WorkerError) as exc:  # e.g. the run's dataset is not on this server
        st.info(f"Could not measure this run's code ranges ({getattr(exc, 'kind', exc.__class__.__name__)}); "
                "the sliders span ±3.")
        lo, hi = [-3.0] * len(mean), [3.0] * len(mean)
        header = "each spans ±3 around the prior mean"
    specs = {d: slider_range(lo[d], hi[d], float(mean[d])) for d in active}
    st.markdown(f"**Sliders**: {header} (and further where needed to include this image's own value, where each "
                "slider starts).")
    keys = {d: f"edit-{ref}-{tag}-{d}" for d in active}
    if any(k not in st.session_state for k in keys.values()):
        linked, notice = parse_edits(st.query_params.get("edit"), {d: s[:2] for d, s in specs.items()})
        if notice:
            st.info(notice)
        for d, k in keys.items():
            st.session_state.setdefault(k, float(linked.get(d, mean[d])))
    names = dimension_names(run.metrics, runs.factor_names(run), len(mean))
    code = mean.copy()
    slider_cols = st.columns(min(4, len(active)))
    for i, d in enumerate(active):
        low, high, step, decimals = specs[d]
        code[d] = slider_cols[i % len(slider_cols)].slider(names[d], low, high, step=step, format=f"%.{decimals}f",
                                                           key=keys[d])
    moved = {d: float(code[d]) for d in active if abs(code[d] - mean[d]) > 1e-6}
    if moved:
        st.query_params["edit"] = format_edits(moved, {d: specs[d][3] for d in moved})
    else:
        st.query_params.pop("edit", None)
    return code


def source_image() -> tuple[np.ndarray, str] | None:
    """(a 64×64 [0, 1] image, a tag naming it): a dSprites index, an uploaded picture or the link's picture."""
    fresh = SOURCE_KEY not in st.session_state  # the page has just been opened: the link decides
    if fresh:
        st.session_state[SOURCE_KEY] = SOURCES[0]
        if st.query_params.get("img"):
            try:
                decode_image(st.query_params["img"])
                st.session_state[SOURCE_KEY] = SOURCES[1]
            except LinkValueError as exc:
                st.info(f"Ignored the picture in the link ({exc}); showing a dSprites image instead.")
                st.query_params.pop("img", None)
    tab = st.radio("Image", SOURCES, horizontal=True, key=SOURCE_KEY)
    if tab == "upload":
        return _uploaded_image()
    st.query_params.pop("img", None)
    if INDEX_KEY not in st.session_state:
        index, notice = parse_number(st.query_params.get("image"), 0, 737_279, DEFAULT_INDEX, integer=True,
                                     name="image")
        if notice:
            st.info(notice)
        st.session_state[INDEX_KEY] = int(index if fresh else st.session_state.get(LAST_INDEX_KEY, index))
    value = int(st.number_input("dSprites image index (0 … 737279)", 0, 737_279, key=INDEX_KEY))
    st.session_state[LAST_INDEX_KEY] = value  # the number box is dropped while "upload" is on; this remembers it
    st.query_params["image"] = str(value)
    return run_models.dataset_images([value])[0, 0], f"i{value}"


def _uploaded_image() -> tuple[np.ndarray, str] | None:
    st.query_params.pop("image", None)
    upload = st.file_uploader("An image (PNG, JPEG, GIF, BMP; at most 5 MB)", type=["png", "jpg", "jpeg", "gif", "bmp"],
                              max_upload_size=MAX_UPLOAD_MB, key="editor-upload")
    if upload is not None:
        try:
            x = image_to_input(upload.getvalue())
        except ImageRejected as exc:
            st.error(str(exc))
            return None
        payload = encode_image(x)
        st.query_params["img"] = payload
        return x, f"u{zlib.crc32(payload.encode()):08x}"
    payload = st.query_params.get("img")
    if not payload:
        return None
    try:
        x = decode_image(payload)
    except LinkValueError as exc:  # only links reach here, and they were checked on arrival; stay safe anyway
        st.error(f"Cannot show the picture in the link: {exc}.")
        return None
    st.caption("Showing the image from the link; upload another to replace it.")
    return x, f"u{zlib.crc32(payload.encode()):08x}"
