"""The script Streamlit runs for ``simiop app`` (``streamlit run`` executes it on every interaction)."""

from simiop.app.pages import main

main()
