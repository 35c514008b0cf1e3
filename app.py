"""Entry point: ``streamlit run app.py``. Builds the navigation; pages live in explorer/ui."""
import streamlit as st

from explorer.ui.run_viewer import run_viewer

st.set_page_config(page_title="β-VAE explorer", layout="wide")
st.navigation([st.Page(run_viewer, title="Runs", icon="🧭", default=True)]).run()
