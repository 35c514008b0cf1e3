"""Entry point: ``streamlit run app.py``. Builds the navigation; pages live in explorer/ui."""
import streamlit as st

from explorer.ui.nav import pages
from explorer.ui.share import incoming_link_values, replaced_link_values_notice, share_link, unknown_params_notice

st.set_page_config(page_title="β-VAE collapse & disentanglement explorer", layout="wide")
with st.sidebar:
    st.markdown("**β-VAE explorer**: disentanglement and posterior collapse, measured.")
    st.caption("Procedural dSprites (pixel-level reconstruction of the DeepMind set). Share the page's URL: it "
               "holds the settings and runs on view.")
unknown_params_notice()
incoming = incoming_link_values()
page = st.navigation(list(pages().values()))
page.run()
replaced_link_values_notice(incoming)  # after the page: its bound controls have now taken or dropped their values
share_link()  # after the page, so the link includes what the page wrote into the URL
