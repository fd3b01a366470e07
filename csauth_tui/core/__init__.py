"""The domain and its I/O. Nothing here imports Textual (tests/unit/test_import_hygiene.py)."""
