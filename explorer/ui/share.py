"""The "copy link" affordance: the page's current URL, query string included, in a copyable box."""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from ..config import ModelConfig, ObjectiveConfig, TrainConfig, knobs

#: Query parameters bound to a widget (``bind="query-params"``): Streamlit seeds or silently drops them.
#: Every run setting's key comes from its knob (explorer.config); the rest are page controls.
BOUND_PARAMS = {k.url for dc in (ModelConfig, ObjectiveConfig, TrainConfig) for k in knobs(dc).values() if k.url} | {
    "ladder50", "ladderdec", "budget", "section"}
#: Every query parameter some page reads or binds; anything else in a link is ignored, visibly.
KNOWN_PARAMS = BOUND_PARAMS | {"runs", "start", "range", "rows", "run", "image", "job", "edit", "img", "sweep", "metric"}


def unknown_params_notice() -> None:
    unknown = [k for k in st.query_params if k not in KNOWN_PARAMS]
    if unknown:
        shown = ", ".join(repr(k[:30]) for k in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        st.sidebar.info(f"Ignored link parameter(s) this app does not know: {shown}")


def incoming_link_values() -> dict[str, list[str]]:
    """The link's parameters as they arrived, before bound widgets take them (or silently drop them)."""
    return {k: st.query_params.get_all(k) for k in st.query_params}


def replaced_link_values_notice(incoming: dict[str, list[str]]) -> None:
    """Name every link value a bound control did not take as given.

    Streamlit seeds a ``bind="query-params"`` widget from the link when the value is one the
    widget offers, and otherwise drops it without a word (or clamps it); comparing what
    arrived with what the widget now holds makes that visible, for every page at once.
    """
    replaced = []
    for key, raw in incoming.items():
        if key in BOUND_PARAMS and key in st.session_state and raw and not _same_value(raw, st.session_state[key]):
            asked = ",".join(raw) if len(raw) > 1 else raw[-1]
            replaced.append(f"{key}={asked[:20]!r} → {_shown(st.session_state[key])}")
    if replaced:
        st.sidebar.warning("The link asked for value(s) these controls do not offer; using instead: "
                           + "; ".join(replaced[:6]) + (" …" if len(replaced) > 6 else ""))


def _same_value(raws: list[str], value) -> bool:
    if isinstance(value, (list, tuple)):  # a multiselect: repeated parameters
        return sorted(raws) == sorted(map(str, value))
    raw = raws[-1]
    if isinstance(value, bool):
        return raw.strip().lower() == str(value).lower()
    if isinstance(value, (int, float)):
        try:
            return float(raw) == float(value)
        except ValueError:
            return False
    return raw == str(value)


def _shown(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value)) or "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def share_link() -> None:
    base = st.context.url or ""
    params = {k: st.query_params.get(k) for k in st.query_params}
    parts = urlsplit(base)
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))
    # in a popover: its body is drawn only when opened (a code block costs every page load a syntax highlighter)
    with st.sidebar.popover("Share this view", icon=":material/link:", width="stretch"):
        st.caption("Link to this view (copy with the icon on the right):")
        st.code(url or "?" + urlencode(params), language=None)
