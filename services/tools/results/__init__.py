"""`make results`: the measured results page (page.py) and the README's summary (readme.py, summary.py),
regenerated from reports/ by `python -m services.tools.results` (__main__.py)."""
