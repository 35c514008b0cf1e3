"""The app's pages, in one place; pages that link to others get the table handed in (no page imports this)."""
from __future__ import annotations

import streamlit as st


def pages() -> dict[str, st.Page]:
    from .page_about import about_page
    from .page_compare import compare_page
    from .page_editor import editor_page
    from .page_ladder import ladder_page
    from .page_lessons import lessons_page
    from .page_pinned import pinned_page
    from .page_sweep import sweep_page
    from .page_train import train_page

    table: dict[str, st.Page] = {}
    table["lessons"] = st.Page(lambda: lessons_page(table), title="Two lessons", icon=":material/school:",
                               url_path="home", default=True)
    # the default page answers at "/" only (its own path is reserved, not served): "/lessons" is a hidden twin
    table["lessons-path"] = st.Page(lambda: lessons_page(table), title="Two lessons", icon=":material/school:",
                                    url_path="lessons", visibility="hidden")
    table.update({
        "compare": st.Page(compare_page, title="Compare runs", icon=":material/compare:", url_path="compare"),
        "ladder": st.Page(lambda: ladder_page(table), title="β ladder", icon=":material/stairs:", url_path="ladder"),
        "pinned": st.Page(lambda: pinned_page(table), title="Pinned axes", icon=":material/push_pin:", url_path="pinned"),
        "sweep": st.Page(lambda: sweep_page(table), title="Sweep", icon=":material/scatter_plot:", url_path="sweep"),
        "train": st.Page(lambda: train_page(table), title="Train", icon=":material/model_training:", url_path="train"),
        "editor": st.Page(editor_page, title="Slider editor", icon=":material/tune:", url_path="editor"),
        "about": st.Page(lambda: about_page(table), title="About", icon=":material/menu_book:", url_path="about"),
    })
    return table
