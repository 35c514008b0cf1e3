"""The Streamlit part of the explorer: the only place Streamlit is imported."""
