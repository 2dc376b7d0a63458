"""The script Streamlit runs for ``simiop app`` (``streamlit run`` executes it on every interaction).

Streamlit runs it as ``__main__``. The job manager's processes start from a
forkserver, which imports the main module again as ``__mp_main__``: the guard
keeps them from drawing the page.
"""

from simiop.app.pages import main

if __name__ == "__main__":
    main()
