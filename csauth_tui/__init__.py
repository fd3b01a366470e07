"""csauth-tui: Contentsquare OAuth credentials and tokens, in a terminal app and a CLI."""

import logging as _logging

__version__ = "0.1.0"

# Our log lines are for -v (which configures a handler). Without one, Python's last-resort
# handler would print warnings bare on stderr, before the real "csauth: error: ..." line.
_logging.getLogger("csauth").addHandler(_logging.NullHandler())
