"""Page: the slider-based image editor of the textbook's "You Could Build This"."""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from ..images import ImageRejected, image_to_input
from ..supervision import active_dims, dimension_names
from .params import parse_number
from .runs import available_runs, cached_decode, dataset_images, factor_names, get_run

MAX_UPLOAD_MB = 5


def editor_page() -> None:
    st.title("Slider editor")
    st.caption("Encode an image to its posterior mean, then move one slider per active latent dimension; each slider "
               "is named after the factor that dimension captures best. On a disentangled model one slider moves, "
               "another scales, another rotates.")
    known = available_runs()
    if not known:
        st.info("No runs on this server yet.")
        return
    default = st.query_params.get("run")
    options = list(known)
    ref = st.selectbox("Model", options, index=options.index(default) if default in known else 0,
                       format_func=lambda r: known[r])
    st.query_params["run"] = ref
    run, error = get_run(ref)
    if error:
        st.error(error)
        return
    x = source_image()
    if x is None:
        return
    mean = run.model.encode_mean(torch.from_numpy(x[None, None].astype(np.float32)))[0].numpy()
    # without recorded variances every dim is offered; dims named by labels are offered even if quiet
    recorded = run.metrics.get("posterior_mean_variance")
    pinned = [int(d) for d in run.metrics.get("pinned") or {}]
    active = sorted(set(active_dims(run.metrics) if recorded else range(len(mean))) | set(pinned))
    if not active:
        st.warning("This model has no active latent dimension (its code collapsed): every slider would do nothing.")
        return
    names = dimension_names(run.metrics, factor_names(run), len(mean))
    code = mean.copy()
    st.markdown("**Sliders** (posterior mean ± 3)")
    slider_cols = st.columns(min(4, len(active)))
    for i, d in enumerate(active):
        code[d] = slider_cols[i % len(slider_cols)].slider(names[d], -4.0, 4.0, float(np.clip(mean[d], -4, 4)), 0.1,
                                                           key=f"edit-{ref}-{d}")
    rounded = tuple(float(round(v, 2)) for v in code)
    edited = cached_decode(ref, rounded, run)
    recon = cached_decode(ref, tuple(float(round(v, 2)) for v in mean), run)
    c = st.columns(3)
    c[0].image(x, caption="input", width=192, clamp=True)
    c[1].image(recon, caption="reconstruction (mean code)", width=192, clamp=True)
    c[2].image(edited, caption="edited", width=192, clamp=True)


def source_image() -> np.ndarray | None:
    """A 64×64 [0, 1] image: a dSprites index or an uploaded picture (binarised and resized)."""
    tab = st.radio("Image", ["dSprites image", "upload"], horizontal=True)
    if tab == "upload":
        upload = st.file_uploader("An image (PNG, JPEG, GIF, BMP; at most 5 MB)", type=["png", "jpg", "jpeg", "gif", "bmp"],
                                  max_upload_size=MAX_UPLOAD_MB)
        if upload is None:
            return None
        try:
            return image_to_input(upload.getvalue())
        except ImageRejected as exc:
            st.error(str(exc))
            return None
    index, notice = parse_number(st.query_params.get("image"), 0, 737_279, 123_456, integer=True, name="image")
    if notice:
        st.info(notice)
    value = st.number_input("dSprites image index (0 … 737279)", 0, 737_279, int(index))
    st.query_params["image"] = str(int(value))
    return dataset_images([int(value)])[0, 0]

