"""The "copy link" affordance: the page's current URL, query string included, in a copyable box."""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st


def share_link() -> None:
    base = st.context.url or ""
    params = {k: st.query_params.get(k) for k in st.query_params}
    parts = urlsplit(base)
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))
    with st.sidebar:
        st.caption("Link to this view (copy with the icon on the right):")
        st.code(url or "?" + urlencode(params), language=None)
