"""The `csauth` command. Imports stay lazy: `csauth token` with a cached token must not
load httpx, tomlkit, keyring or Textual (tests/unit/test_import_hygiene.py)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

from . import __version__
from .core.errors import CsauthError
from .core.formats import FORMATS
from .core.shells import SHELLS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csauth",
        description="Contentsquare OAuth credentials and tokens. Without a command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"csauth {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="profiles file (default: $CSAUTH_CONFIG or profiles.toml in the user config dir)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="more detail on errors, HTTP requests logged to stderr (never secrets)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("demo", help="the app on a built-in fake Contentsquare API (writes nothing)")

    p = sub.add_parser("list", help="list profiles")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    def request_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("profile", metavar="PROFILE", type=utf8_text, **DEFAULT_PROFILE)
        p.add_argument(
            "--scope",
            action="append",
            metavar="S",
            dest="scopes",
            type=utf8_text,
            help="scope to request (repeatable; default: the profile's scopes)",
        )
        p.add_argument(
            "--project-id",
            type=positive_int,
            metavar="N",
            help="target project (required for account-level credentials)",
        )

    p = sub.add_parser("token", help="print a token (cached while it has time left)")
    request_args(p)
    p.add_argument(
        "--min-ttl",
        type=min_ttl,
        metavar="SECONDS",
        help="renew when fewer seconds remain (default: renew_before_seconds; "
        "at most 3600, a token's lifetime)",
    )
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--format", choices=FORMATS, default="token")
    p.add_argument(
        "--shell",
        choices=SHELLS,
        help="with --format env: the syntax of the "
        "lines (default posix: export NAME='value'; fish, powershell, dotenv)",
    )

    p = sub.add_parser("me", help="what Contentsquare says about a credential (/v1/oauth/me)")
    p.add_argument("profile", metavar="PROFILE", type=utf8_text, **DEFAULT_PROFILE)
    p.add_argument("--json", action="store_true", help="the whole JSON answer")

    p = sub.add_parser(
        "exec",
        help="run a command with CS_ACCESS_TOKEN, CS_API_BASE_URL and "
        "CS_TOKEN_EXPIRES_AT in its environment",
        usage="csauth exec PROFILE [options] -- CMD [ARGS...]",
    )
    request_args(p)
    p.add_argument(
        "--proxy",
        action="store_true",
        help="point CS_API_BASE_URL at a local proxy that renews tokens, so the "
        "command may run for days (see `csauth proxy`)",
    )
    p.set_defaults(cmd=[])  # filled by main() with what follows the first --

    p = sub.add_parser(
        "proxy",
        help="a local HTTP proxy that adds a fresh token to every "
        "request, for any tool (prints its URL first)",
    )
    request_args(p)
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--socket",
        metavar="PATH",
        help="listen on this Unix socket (default: one in a private runtime directory)",
    )
    where.add_argument(
        "--port",
        type=non_negative_int,
        metavar="N",
        help="listen on loopback TCP port N instead (0: any free port), behind "
        "a random path prefix",
    )
    p.add_argument(
        "--host",
        metavar="HOST",
        type=utf8_text,
        help="with --port: 127.0.0.1 (default), ::1 or localhost; nothing else",
    )

    p = sub.add_parser("add", help="add a profile; the secret is read from stdin or a prompt")
    p.add_argument("name", metavar="NAME", type=utf8_text)
    p.add_argument("--level", choices=("project", "account"), required=True)
    p.add_argument("--client-id", required=True, metavar="ID", type=utf8_text)
    p.add_argument("--project-id", type=positive_int, metavar="N")
    p.add_argument("--scope", action="append", metavar="S", dest="scopes", type=utf8_text)
    p.add_argument(
        "--secret",
        default="keyring",
        metavar="SOURCE",
        type=utf8_text,
        help="keyring (default), env:VAR, cmd:COMMAND, or plaintext (discouraged)",
    )
    p.add_argument("--description", default="", type=utf8_text)
    p.add_argument(
        "--created",
        metavar="YYYY-MM-DD",
        type=iso_date,
        help="when the credential was created (it expires a year later; default: today)",
    )
    p.add_argument("--auth-url", metavar="URL", type=utf8_text)
    p.add_argument(
        "--replace-secret",
        action="store_true",
        help="the keyring holds a different secret for this client_id: replace "
        "it for every profile using it, once Contentsquare accepts the new one",
    )
    p.add_argument(
        "--no-verify",
        action="store_true",
        help="with --replace-secret: replace without asking Contentsquare first",
    )

    p = sub.add_parser("rm", help="remove a profile, its keyring entry and its cached tokens")
    p.add_argument("name", metavar="NAME", type=utf8_text)
    p.add_argument("--keep-secret", action="store_true", help="leave the keyring entry")

    p = sub.add_parser("forget", help="empty the token cache (of one profile, or all)")
    p.add_argument("profile", nargs="?", metavar="PROFILE", type=utf8_text)

    p = sub.add_parser("import", help="merge profiles from a TOML, JSON or CSV file")
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--format",
        choices=("toml", "json", "csv"),
        help="default: from the file's extension or content",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="report what would happen, change nothing"
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace profiles with the same name (their secret source and "
        "auth_url are kept unless an --allow option below lets the file's in)",
    )
    p.add_argument(
        "--secrets",
        choices=("keyring", "skip", "plaintext"),
        default="keyring",
        help="what to do with client_secret values found in the file "
        "(default: store them in the keyring)",
    )
    p.add_argument(
        "--allow-secret-sources",
        action="store_true",
        help='take secret = "env:VAR" / "cmd:COMMAND" from the file (a row '
        "with one is refused otherwise); each one taken is listed",
    )
    p.add_argument(
        "--allow-auth-url",
        action="store_true",
        help="take auth_url from the file (a row with one is refused otherwise); "
        "each one taken is listed",
    )
    p.add_argument(
        "--replace-secret",
        action="store_true",
        help="replace a different secret already in the keyring for a client_id, "
        "once Contentsquare accepts the new one (default: keep it, and say so)",
    )
    p.add_argument(
        "--no-verify",
        action="store_true",
        help="with --replace-secret: replace without asking Contentsquare first",
    )

    p = sub.add_parser("export", help="print profiles without any secret, for sharing")
    p.add_argument("--format", choices=("toml", "json", "csv"), default="toml")
    p.add_argument(
        "--profile",
        action="append",
        metavar="GLOB",
        dest="profiles",
        help="only profiles whose name matches (repeatable)",
    )
    p.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")

    p = sub.add_parser(
        "audit",
        help="check every credential: secrets, tokens, /me, age, duplicates (exit 1 on any error)",
    )
    p.add_argument(
        "--profile",
        action="append",
        metavar="GLOB",
        dest="profiles",
        help="only profiles whose name matches (repeatable)",
    )
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", dest="format", action="store_const", const="json")
    fmt.add_argument("--csv", dest="format", action="store_const", const="csv")
    fmt.add_argument("--markdown", dest="format", action="store_const", const="markdown")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE (0600)")
    p.add_argument(
        "--cached",
        action="store_true",
        help="reuse cached tokens instead of proving each credential with a new "
        "token request (faster; a secret revoked since is then only caught "
        "by /me)",
    )
    p.add_argument(
        "--concurrency",
        type=positive_int,
        default=8,
        metavar="N",
        help="profiles audited at once (default 8; never more than 10 requests per project)",
    )

    sub.add_parser("doctor", help="where things are and what works here")
    everyday_parsers(sub)
    return parser


# A PROFILE left out means the default profile ($CSAUTH_PROFILE, else default_profile).
DEFAULT_PROFILE: dict[str, Any] = {
    "nargs": "?",
    "help": "default: $CSAUTH_PROFILE, else default_profile in [settings] (see `csauth use`)",
}


def everyday_parsers(sub) -> None:
    """status, use, secret set, completion: each runs `handler` (module, function),
    imported only when that command runs."""
    p = sub.add_parser(
        "status",
        help="every profile at a glance: cached tokens' time left, "
        "scopes, project, endpoint, secret source, credential age (offline)",
    )
    p.add_argument(
        "profiles",
        nargs="*",
        metavar="PROFILE",
        type=utf8_text,
        default=(),
        help="only these profiles (default: all)",
    )  # (): see option_without_value
    p.add_argument("--json", action="store_true", help="machine-readable (csauth-status/1)")
    p.set_defaults(handler=("status", "status"))

    p = sub.add_parser(
        "use",
        help="set the default profile (default_profile in [settings]); "
        "without PROFILE, say which one is the default and where it is set",
    )
    p.add_argument("name", nargs="?", metavar="PROFILE", type=utf8_text)
    p.add_argument("--clear", action="store_true", help="remove the default_profile setting")
    p.set_defaults(handler=("everyday", "use"))

    p = sub.add_parser("secret", help="rotate a profile's client secret (secret set)")
    secret_sub = p.add_subparsers(dest="secret_command", metavar="ACTION", required=True)
    s = secret_sub.add_parser(
        "set",
        help="replace the keyring secret of a profile (and of every profile sharing "
        "its client_id) once Contentsquare accepts the new one; read from stdin or a prompt",
    )
    s.add_argument("profile", metavar="PROFILE", type=utf8_text, **DEFAULT_PROFILE)
    s.add_argument(
        "--client-id",
        metavar="ID",
        type=utf8_text,
        help="the new pair's client_id, when it changes too (every profile that "
        "shared the old one in the keyring moves to it)",
    )
    s.add_argument(
        "--no-verify", action="store_true", help="replace without asking Contentsquare first"
    )
    s.set_defaults(handler=("everyday", "secret_set"))

    p = sub.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or fish; see the README to install it)",
    )
    p.add_argument("shell", choices=("bash", "zsh", "fish"))
    p.set_defaults(handler=("completion", "completion"))

    p = sub.add_parser("_names")  # no help: hidden; the completion scripts call it
    p.set_defaults(handler=("completion", "names"))


def utf8_text(value: str) -> str:
    """An argument that goes into the profiles file or a request: it must be text. (Bytes
    that are not UTF-8 reach Python as lone surrogates, which cannot be written anywhere.)"""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise argparse.ArgumentTypeError(f"{ascii(value)} is not valid UTF-8 text") from None
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {value}")
    return value


def non_negative_int(text: str) -> int:
    if text == "0":
        return 0
    return positive_int(text)


def min_ttl(text: str) -> int:
    from .core.tokens import DEFAULT_LIFETIME_SECONDS

    value = non_negative_int(text)
    if value > DEFAULT_LIFETIME_SECONDS:
        raise argparse.ArgumentTypeError(
            f"{value} s is more than a token lives ({DEFAULT_LIFETIME_SECONDS} s): no token "
            "could ever be used"
        )
    return value


def iso_date(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-01-15") from None


def option_without_value(args: argparse.Namespace, argv: list[str]) -> str | None:
    """The option given as `--opt=--`, which argparse (seen on Python 3.11) takes as an
    empty list, skipping its type and choices, instead of refusing it."""
    values = [value for name, value in vars(args).items() if name != "cmd"]
    if not any(v == [] or (isinstance(v, list) and [] in v) for v in values):
        return None
    return next(
        (a.split("=", 1)[0] for a in argv if a.startswith("-") and a.endswith("=--")), "an option"
    )


def split_exec(argv: list[str]) -> tuple[list[str], list[str]] | None:
    """For `csauth [options] exec PROFILE [options] -- CMD...`: the words to parse and the
    command (what follows the first -- after exec). None when the command is not exec,
    whose -- then keeps its usual meaning ("no more options")."""
    at = 0
    while at < len(argv) and argv[at].startswith("-") and argv[at] != "--":
        at += 2 if argv[at] == "--config" else 1
    if at >= len(argv) or argv[at] != "exec":
        return None
    rest, lead = argv[at + 1 :], []
    if rest[:1] == ["--"] and "--" in rest[2:]:  # exec -- -odd-name -- CMD
        lead, rest = ["--", rest[1]], rest[2:]
    cut = rest.index("--") if "--" in rest else len(rest)
    return argv[: at + 1] + rest[:cut] + lead, rest[cut + 1 :]


def main(argv: list[str] | None = None) -> int:
    from .core.hardening import no_core_dumps

    no_core_dumps()  # before any secret or token is read
    # A path that is not UTF-8 (from argv or the environment) must print, not crash.
    reconfigure = getattr(sys.stdout, "reconfigure", None)  # a TextIOWrapper's, if it is one
    with contextlib.suppress(ValueError):
        if reconfigure is not None:
            reconfigure(errors="surrogateescape")
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    split = split_exec(argv)
    if split is None:
        args = parser.parse_args(argv)
    else:
        args, extra = parser.parse_known_args(split[0])
        if extra:
            parser.error(
                f"unrecognized arguments: {' '.join(extra)} (exec runs only what "
                "follows --: csauth exec PROFILE [options] -- CMD)"
            )
        args.cmd = split[1]
    empty = option_without_value(args, argv)
    if empty:
        parser.error(f"argument {empty}: expected one argument")
    if args.command in ("add", "import") and args.no_verify and not args.replace_secret:
        parser.error(
            "--no-verify goes with --replace-secret (it skips checking the new "
            "secret before it replaces the stored one)"
        )
    if args.command == "add" and args.replace_secret and args.secret != "keyring":
        parser.error("--replace-secret is for a secret stored in the keyring (--secret keyring)")
    if getattr(args, "shell", None) and args.command == "token" and args.format != "env":
        parser.error("--shell goes with --format env")
    if args.verbose:
        import logging

        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
        for handler in logging.getLogger().handlers:
            handler.setFormatter(inert_formatter("csauth: %(name)s: %(message)s"))
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("httpcore").setLevel(logging.WARNING)
    try:
        return run(args, parser)
    except CsauthError as exc:
        report(exc, args.verbose)
        return exc.exit_code
    except KeyboardInterrupt:
        print("csauth: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `csauth doctor | head -3`: the reader has what it wanted
        import os

        # stdout is gone: point it at /dev/null so the flush at exit cannot fail again
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a command killed by it


def report(exc: CsauthError, verbose: bool) -> None:
    from .core.text import inert

    # The whole line: a message may quote a profile's name, a path or a server's words.
    print(inert(f"csauth: error: {exc}"), file=sys.stderr)
    if verbose:
        print(f"csauth: ({type(exc).__name__}, exit status {exc.exit_code})", file=sys.stderr)


def inert_formatter(fmt: str):
    """A logging formatter whose lines (message, arguments, traceback) are inert: -v logs
    go to the terminal, and may quote a server."""
    import logging

    from .core.text import inert

    class InertFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return inert(super().format(record), keep_newlines=True)

    return InertFormatter(fmt)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from . import commands

    command = args.command
    if command is None:
        return commands.open_app(args)
    if command == "exec" and not args.cmd:
        parser.error("exec needs a command after --, e.g. csauth exec prod -- curl ...")
    if hasattr(args, "handler"):
        from importlib import import_module

        module, function = args.handler
        return getattr(import_module(f".{module}", __package__), function)(args)
    handler = getattr(commands, f"{command}_", None) or getattr(commands, command)
    return handler(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
