"""`python -m csauth_tui.fake --port N`: serve the demo credentials until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .demo import DEMO_CREDENTIALS
from .server import FakeContentsquare, is_loopback


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m csauth_tui.fake",
        description="Run the fake Contentsquare API on loopback with the demo credentials.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free one)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument(
        "--latency", type=float, default=0.0, metavar="S", help="seconds added to every request"
    )
    parser.add_argument(
        "--token-lifetime",
        type=float,
        default=3600,
        metavar="S",
        help="lifetime of issued tokens in seconds (default 3600)",
    )
    args = parser.parse_args(argv)
    if not is_loopback(args.host):
        parser.error(f"--host {args.host} is not a loopback address; the fake serves loopback only")
    if args.latency < 0 or args.token_lifetime <= 0:
        parser.error("--latency must be >= 0 and --token-lifetime > 0")

    fake = FakeContentsquare(
        DEMO_CREDENTIALS,
        host=args.host,
        port=args.port,
        latency=args.latency,
        token_lifetime=args.token_lifetime,
    )
    try:
        fake.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    clients = ", ".join(c.client_id for c in DEMO_CREDENTIALS)
    print(f"fake Contentsquare API on {fake.url} (clients: {clients}); Ctrl-C stops it", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
