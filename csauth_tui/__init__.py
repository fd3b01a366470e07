"""csauth-tui: Contentsquare OAuth credentials and tokens, in a terminal app and a CLI."""

__version__ = "0.1.0"
