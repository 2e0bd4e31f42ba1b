"""docqa web app: `streamlit run app/main.py` (or `rag ui`).

The pages live in app/views/, not app/pages/: Streamlit treats a `pages/` folder beside the main script
as an old-style multipage app until st.navigation first runs, so a first visit straight to /documents
would skip this script."""

from __future__ import annotations

import streamlit as st

from app import resources
from rag import RagError

st.set_page_config(
    page_title="docqa", page_icon=":material/menu_book:", layout="centered", initial_sidebar_state="expanded"
)

pages = [
    st.Page("views/chat.py", title="Chat", icon=":material/forum:", default=True),
    st.Page("views/documents.py", title="Documents", icon=":material/folder_open:", url_path="documents"),
    st.Page("views/admin.py", title="Admin", icon=":material/admin_panel_settings:", url_path="admin"),
]
with st.sidebar:
    st.markdown("### :material/menu_book: docqa")
    st.caption("Answers from your documents, with page citations. Runs offline.")
try:
    resources.settings()  # a bad RAG_ setting is one clear line on every page, not a traceback
except RagError as e:
    st.error(str(e), icon=":material/error:")
    st.stop()
st.navigation(pages).run()
