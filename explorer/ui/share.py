"""The "copy link" affordance: the page's current URL, query string included, in a copyable box."""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st


#: Every query parameter some page reads or binds; anything else in a link is ignored, visibly.
KNOWN_PARAMS = {"runs", "start", "run", "image", "job", "ladder50", "dataset", "beta", "z", "decoder", "schedule",
                "warmup", "cycles", "ramp", "cap", "gamma", "fb", "fbmode", "seconds", "seed"}


def unknown_params_notice() -> None:
    unknown = [k for k in st.query_params if k not in KNOWN_PARAMS]
    if unknown:
        shown = ", ".join(repr(k[:30]) for k in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        st.sidebar.info(f"Ignored link parameter(s) this app does not know: {shown}")


def share_link() -> None:
    base = st.context.url or ""
    params = {k: st.query_params.get(k) for k in st.query_params}
    parts = urlsplit(base)
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))
    with st.sidebar:
        st.caption("Link to this view (copy with the icon on the right):")
        st.code(url or "?" + urlencode(params), language=None)
