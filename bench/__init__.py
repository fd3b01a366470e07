"""csauth-tui benchmarks: `python -m bench` (make bench). See bench/__main__.py.

One module per figure or group, each measuring its subject against a baseline in the same
run, runs interleaved: startup.py (start to first full frame, 1k and 10k profiles, and
peak memory; frame_probe.py is the child process it times), cli_token.py (`csauth token`
cached and fetched; bare_token.py is the httpx baseline), audit.py, keystroke.py (filter
keystroke to repaint), idle.py (CPU with 50 live countdowns). harness.py holds the timing
and the result rows, world.py the generated profiles, tokens and fake API.
"""
