"""`csauth proxy`: a loopback HTTP/1.1 proxy that puts a fresh token on every request.

For every tool that is not Python: `curl`, a BI tool, a notebook in another language. A
request to the proxy for `/v1/...` goes to the token's endpoint with `Authorization:
Bearer <current token>`; the client's own Authorization header is dropped, and nothing is
ever sent anywhere but that endpoint (a trusted one: see core.answers.endpoint_trusted).
Tokens come from csauth_tui.auth.TokenSource (renewed before expiry; on `401 JWT_EXPIRED`
renewed and the request sent once more). At most 10 requests per project are in flight;
the rest wait in the order they came. The API's answers (errors included) go back
unchanged, streamed; hop-by-hop headers are dropped both ways.

It listens on a Unix socket (0600, in a 0700 directory) by default, or on a loopback TCP
port behind a random path prefix (another local user can reach the port, not guess the
prefix). One line per request on stderr (method, path, status, time), never a token.
Built on asyncio streams (standard library) and httpx for the upstream side.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
import re
import secrets
import signal
import socket
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

from .auth import ProjectLimit, TokenSource, reached_directly
from .core.answers import endpoint_trusted, response_error
from .core.errors import ConfigError, CsauthError, TokenExpiredError
from .core.kinds import CallKind
from .core.profiles import SecretKind
from .core.text import inert
from .core.tokens import Token, iso_utc, utcnow
from .core.urls import is_loopback

MAX_HEAD = 64 * 1024  # request line + headers
MAX_HEADERS = 100
MAX_REQUEST_BODY = 32 * 1024 * 1024
MAX_RESPONSE_BODY = 2 * 1024 * 1024 * 1024  # a big data export, streamed; past this: cut
MAX_ERROR_BODY = 1024 * 1024  # a 401 is read whole to see whether it says JWT_EXPIRED
STOP_GRACE = 10.0  # seconds requests in flight get to finish on Ctrl-C / SIGTERM
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
NOT_FORWARDED = HOP_BY_HOP | {"host", "authorization", "content-length", "expect"}
_TOKEN_CHARS = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")  # an HTTP header name / method


class _Refused(Exception):
    """A request the proxy answers itself (never forwarded)."""

    def __init__(self, status: int, code: str, message: str, *, close: bool = False) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.close = status, code, message, close


@dataclass
class _Request:
    method: str
    target: str  # what follows the prefix: /v1/...?query
    version: str
    headers: list[tuple[str, str]] = field(repr=False)  # the client's Authorization too
    body: bytes = field(default=b"", repr=False)
    keep_alive: bool = True
    started: float = field(default_factory=time.perf_counter)


REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
}


def _header(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in headers if k.lower() == name]


class Proxy:
    """The proxy for one TokenSource. `await start_unix(path)` or `await start_tcp(...)`
    returns the URL to use; `await stop()` ends it (requests in flight may finish)."""

    def __init__(
        self,
        source: TokenSource,
        *,
        limit: ProjectLimit | None = None,
        log: Callable[[str], None] | None = None,
        prefix: str | None = None,
        timeout: float = 120.0,
        quiet: bool = False,
    ) -> None:
        self.source = source
        self.quiet = quiet  # log only what went wrong on the proxy's side
        self.limit = limit or source.limit
        self.log = log if log is not None else _stderr_line
        self.prefix = prefix
        self.timeout = timeout
        self.url: str | None = None
        self.socket_path: Path | None = None
        self._server: asyncio.AbstractServer | None = None
        self._http: httpx.AsyncClient | None = None
        self._connections: dict[asyncio.Task[Any], bool] = {}  # task -> busy with a request
        self._renewing: asyncio.Lock | None = None

    # --- starting and stopping ----------------------------------------------------------

    def _upstream(self) -> httpx.AsyncClient:
        """The client to the API. The token's endpoint is known (the source got a token
        before the proxy starts): a loopback or plain-http one is reached directly, never
        through a proxy from the environment, which would see the token."""
        settings = self.source.settings
        verify: Any = True
        if settings.ca_bundle:
            import ssl

            path = Path(settings.ca_bundle).expanduser()
            verify = (
                ssl.create_default_context(capath=str(path))
                if path.is_dir()
                else ssl.create_default_context(cafile=str(path))
            )
        token = self.source.peek() or self.source.current()
        limits = httpx.Limits(
            max_connections=self.limit.limit + 2, max_keepalive_connections=self.limit.limit
        )
        transport = (
            httpx.AsyncHTTPTransport(verify=verify, limits=limits)
            if reached_directly(token.endpoint)
            else None
        )
        return httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout, connect=10.0),
            limits=limits,
            verify=verify,
            trust_env=True,
            follow_redirects=False,
            transport=transport,
        )

    async def start_unix(self, path: Path) -> str:
        path = Path(path)
        _clear_stale_socket(path)
        self._http = await asyncio.to_thread(self._upstream)
        old_umask = os.umask(0o177)  # the socket is born 0600: no window for anyone else
        try:
            self._server = await asyncio.start_unix_server(
                self._accept, path=str(path), limit=MAX_HEAD
            )
        finally:
            os.umask(old_umask)
        os.chmod(path, 0o600)
        self.socket_path = path
        self._renewing = asyncio.Lock()
        self.url = f"http+unix://{_quote_path(path)}"
        return self.url

    async def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if not is_loopback(host):
            raise ConfigError(
                f"the proxy listens on loopback only, not {host}",
                hint="use 127.0.0.1, ::1 or localhost (or the default Unix socket)",
            )
        if self.prefix is None:
            self.prefix = "/" + secrets.token_urlsafe(18)
        self._http = await asyncio.to_thread(self._upstream)
        self._server = await asyncio.start_server(
            self._accept, host=host, port=port, limit=MAX_HEAD
        )
        bound = self._server.sockets[0].getsockname()
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        self._renewing = asyncio.Lock()
        self.url = f"http://{shown}:{bound[1]}{self.prefix}"
        return self.url

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop accepting; idle connections close now, busy ones get `grace` seconds."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for task, busy in list(self._connections.items()):
            if not busy:
                task.cancel()
        pending = list(self._connections)
        if pending:
            _, late = await asyncio.wait(pending, timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=2)
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        if self.socket_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()

    # --- one connection ---------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = False
        sock = writer.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while self._server is not None:
                try:
                    request = await self._read_request(reader, writer)
                except _Refused as refused:
                    self._connections[task] = True
                    await self._answer_error(writer, refused, "-", "-", time.perf_counter())
                    break
                if request is None:
                    break
                self._connections[task] = True
                keep = await self._handle(request, writer)
                self._connections[task] = False
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # a bug here must end one connection, not print locals
            self.log(f"internal error: {type(exc).__name__}; connection closed")
        finally:
            self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)

    async def _read_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> _Request | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                raise _Refused(
                    400, "CSAUTH_PROXY_BAD_REQUEST", "incomplete request", close=True
                ) from None
            return None  # the client closed an idle connection
        except asyncio.LimitOverrunError:
            raise _Refused(
                431, "CSAUTH_PROXY_BAD_REQUEST", "request headers too large", close=True
            ) from None
        started = time.perf_counter()
        lines = head[:-4].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not _TOKEN_CHARS.match(parts[0]):
            raise _Refused(400, "CSAUTH_PROXY_BAD_REQUEST", "malformed request line", close=True)
        method, target, version = parts
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            raise _Refused(
                505, "CSAUTH_PROXY_BAD_REQUEST", "only HTTP/1.1 and 1.0 are spoken", close=True
            )
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon or not _TOKEN_CHARS.match(name) or len(headers) >= MAX_HEADERS:
                raise _Refused(400, "CSAUTH_PROXY_BAD_REQUEST", "malformed header", close=True)
            headers.append((name, value.strip(" \t")))
        connection = {
            t.strip().lower() for v in _header(headers, "connection") for t in v.split(",")
        }
        keep_alive = (
            "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
        )
        request = _Request(method, target, version, headers, keep_alive=keep_alive, started=started)
        request.body = await self._read_body(reader, writer, request)
        return request

    async def _read_body(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: _Request
    ) -> bytes:
        headers = request.headers
        encodings = [
            t.strip().lower()
            for v in _header(headers, "transfer-encoding")
            for t in v.split(",")
            if t.strip()
        ]
        lengths = set(_header(headers, "content-length"))
        if encodings and lengths:  # both: the way request smuggling starts
            raise _Refused(
                400,
                "CSAUTH_PROXY_BAD_REQUEST",
                "both Transfer-Encoding and Content-Length",
                close=True,
            )
        if encodings and encodings != ["chunked"]:
            raise _Refused(
                400, "CSAUTH_PROXY_BAD_REQUEST", "unsupported Transfer-Encoding", close=True
            )
        if len(lengths) > 1 or (lengths and not next(iter(lengths)).isdigit()):
            raise _Refused(400, "CSAUTH_PROXY_BAD_REQUEST", "bad Content-Length", close=True)
        size = int(next(iter(lengths))) if lengths else 0
        if size > MAX_REQUEST_BODY:
            raise _Refused(
                413,
                "CSAUTH_PROXY_TOO_LARGE",
                f"request body over {MAX_REQUEST_BODY // 2**20} MiB",
                close=True,
            )
        if (size or encodings) and any(
            v.lower() == "100-continue" for v in _header(headers, "expect")
        ):
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await writer.drain()
        if not encodings:
            return await reader.readexactly(size) if size else b""
        chunks: list[bytes] = []
        total = 0
        while True:
            line = await reader.readuntil(b"\r\n")
            try:
                length = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _Refused(400, "CSAUTH_PROXY_BAD_REQUEST", "bad chunk", close=True) from None
            if length == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers: dropped
                    pass
                return b"".join(chunks)
            total += length
            if total > MAX_REQUEST_BODY:
                raise _Refused(
                    413,
                    "CSAUTH_PROXY_TOO_LARGE",
                    f"request body over {MAX_REQUEST_BODY // 2**20} MiB",
                    close=True,
                )
            chunks.append(await reader.readexactly(length))
            if await reader.readexactly(2) != b"\r\n":
                raise _Refused(400, "CSAUTH_PROXY_BAD_REQUEST", "bad chunk", close=True)

    # --- one request ----------------------------------------------------------------------

    def _path(self, request: _Request) -> str:
        """The /v1/... target to forward, or _Refused."""
        target = request.target
        if not target.startswith("/"):
            raise _Refused(
                400,
                "CSAUTH_PROXY_BAD_REQUEST",
                "send requests for /v1/... to this proxy (it is not a forward proxy)",
            )
        if self.prefix is not None:
            given = target[: len(self.prefix)]
            rest = target[len(self.prefix) :]
            if not (
                hmac.compare_digest(given.encode(), self.prefix.encode())
                and rest[:1] in ("/", "?", "")
            ):
                raise _Refused(
                    404,
                    "CSAUTH_PROXY_NOT_FOUND",
                    "not found (the proxy's URL has a path prefix: use the URL it printed)",
                )
            target = rest or "/"
        path = target.split("?", 1)[0]
        segments = unquote(path).split("/")
        if (
            not path.startswith("/v1/")
            or any(s in (".", "..") for s in segments)
            or "#" in target
            or "\\" in unquote(path)
        ):
            raise _Refused(404, "CSAUTH_PROXY_NOT_FOUND", "the proxy forwards /v1/... only")
        return target

    async def _token(self) -> Token:
        token = self.source.peek()
        if token is not None:
            return token
        assert self._renewing is not None
        async with self._renewing:  # one thread fetching, not one per waiting request
            token = self.source.peek()
            return token if token is not None else await asyncio.to_thread(self.source.current)

    async def _renew(self, stale: Token) -> Token:
        assert self._renewing is not None
        async with self._renewing:
            return await asyncio.to_thread(self.source.renew, stale)

    async def _handle(self, request: _Request, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection must close."""
        shown_path = request.target.split("?", 1)[0]
        try:
            target = self._path(request)
            shown_path = target.split("?", 1)[0]
        except _Refused as refused:
            refused.close = refused.close or not request.keep_alive
            return await self._answer_error(
                writer, refused, request.method, shown_path, request.started
            )
        await self.limit.acquire_async()
        try:
            return await self._forward(request, target, shown_path, writer)
        finally:
            self.limit.release()

    async def _forward(
        self, request: _Request, target: str, shown_path: str, writer: asyncio.StreamWriter
    ) -> bool:
        assert self._http is not None
        headers = _forwarded_headers(request.headers)
        renewed = False
        try:
            token = await self._token()
            while True:
                if not token.trusted or not endpoint_trusted(token.endpoint, token.auth_url):
                    from .core.service import untrusted_error

                    raise untrusted_error(token)
                upstream = self._http.build_request(
                    request.method,
                    token.endpoint.rstrip("/") + target,
                    headers=[*headers, ("Authorization", f"Bearer {token.access_token}")],
                    content=request.body
                    if request.body or request.method not in ("GET", "HEAD", "DELETE", "OPTIONS")
                    else None,
                )
                response = await self._http.send(upstream, stream=True)
                if response.status_code == 401 and not renewed:
                    raw = await _read_capped(response, MAX_ERROR_BODY)
                    if _says_expired(response, raw, token):
                        await response.aclose()
                        renewed = True
                        if not self.quiet:
                            self.log(
                                f"{request.method} {inert(shown_path)}: token expired at "
                                "the API, renewing and sending again"
                            )
                        token = await self._renew(token)
                        continue
                    return await self._relay(request, shown_path, response, writer, raw)
                return await self._relay(request, shown_path, response, writer, None)
        except CsauthError as exc:
            return await self._answer_error(
                writer,
                _Refused(502, "CSAUTH_TOKEN_ERROR", f"csauth could not get a token: {exc}"),
                request.method,
                shown_path,
                request.started,
            )
        except httpx.TimeoutException:
            return await self._answer_error(
                writer,
                _Refused(504, "CSAUTH_UPSTREAM_TIMEOUT", "the API did not answer in time"),
                request.method,
                shown_path,
                request.started,
            )
        except httpx.TransportError as exc:
            return await self._answer_error(
                writer,
                _Refused(
                    502,
                    "CSAUTH_UPSTREAM_UNREACHABLE",
                    f"cannot reach the API ({type(exc).__name__})",
                ),
                request.method,
                shown_path,
                request.started,
            )

    async def _relay(
        self,
        request: _Request,
        shown_path: str,
        response: httpx.Response,
        writer: asyncio.StreamWriter,
        raw: bytes | None,
    ) -> bool:
        """Send the API's answer back as it came (bytes as received, Content-Encoding
        kept); `raw`: its body when it was already read."""
        keep = request.keep_alive
        no_body = (
            request.method == "HEAD"
            or response.status_code in (204, 304)
            or 100 <= response.status_code < 200
        )
        length = response.headers.get("content-length")
        chunked = False
        out = [f"HTTP/1.1 {response.status_code} {response.reason_phrase or 'Unknown'}"]
        for name, value in response.headers.multi_items():
            if name.lower() in HOP_BY_HOP or name.lower() == "content-length":
                continue
            out.append(f"{name}: {value}")
        if raw is not None:
            out.append(f"Content-Length: {len(raw)}")
        elif no_body:
            if length is not None:
                out.append(f"Content-Length: {length}")
        elif length is not None and length.isdigit():
            out.append(f"Content-Length: {length}")
        elif request.version == "HTTP/1.1":
            out.append("Transfer-Encoding: chunked")
            chunked = True
        else:
            keep = False  # HTTP/1.0 without a length: the end of the body is the close
        out.append("Connection: keep-alive" if keep else "Connection: close")
        status = response.status_code
        try:
            writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1", "replace"))
            sent = 0
            if raw is not None:
                if not no_body:
                    writer.write(raw)
            elif not no_body:
                async for chunk in response.aiter_raw():
                    sent += len(chunk)
                    if sent > MAX_RESPONSE_BODY:
                        self.log(
                            f"{request.method} {inert(shown_path)}: answer over "
                            f"{MAX_RESPONSE_BODY // 2**30} GiB, cut off"
                        )
                        keep = False
                        break
                    if chunk:
                        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                        await writer.drain()
                else:
                    if chunked:
                        writer.write(b"0\r\n\r\n")
            await writer.drain()
        except httpx.TransportError:
            keep = False  # the API dropped mid-body: the client sees the connection close
        finally:
            await response.aclose()
        self._log_request(request.method, shown_path, status, request.started)
        return keep

    async def _answer_error(
        self,
        writer: asyncio.StreamWriter,
        refused: _Refused,
        method: str,
        shown_path: str,
        started: float,
    ) -> bool:
        import json

        body = json.dumps(
            {"success": False, "errorCode": refused.code, "errorMessage": refused.message}
        ).encode()
        keep = not refused.close
        head = (
            f"HTTP/1.1 {refused.status} {REASONS.get(refused.status, 'Error')}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n"
        )
        writer.write(head.encode("latin-1") + body)
        await writer.drain()
        self._log_request(method, shown_path, refused.status, started, note=refused.message)
        return keep

    def _log_request(
        self, method: str, path: str, status: int, started: float, note: str | None = None
    ) -> None:
        if self.quiet and note is None:
            return
        took = time.perf_counter() - started
        line = f"{inert(method)} {inert(path)} {status} {took * 1000:.0f} ms"
        self.log(line + (f" ({inert(note)})" if note else ""))


def _forwarded_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The client's headers minus hop-by-hop ones (and those named in Connection), Host,
    Authorization and Content-Length (httpx sets those two). Accept-Encoding is passed as
    the client sent it (identity when it sent none), so the body can go back byte for byte."""
    named = {t.strip().lower() for v in _header(headers, "connection") for t in v.split(",")}
    drop = NOT_FORWARDED | named
    kept = [(k, v) for k, v in headers if k.lower() not in drop]
    if not any(k.lower() == "accept-encoding" for k, _ in kept):
        kept.append(("Accept-Encoding", "identity"))
    return kept


async def _read_capped(response: httpx.Response, cap: int) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > cap:
            raise httpx.ReadError("error answer too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _says_expired(response: httpx.Response, raw: bytes, token: Token) -> bool:
    answer = httpx.Response(
        response.status_code, headers=response.headers, content=raw, request=response.request
    )
    error = response_error(answer, kind=CallKind.PROBE, secrets=(token.access_token,), now=utcnow())
    return isinstance(error, TokenExpiredError)


def _stderr_line(text: str) -> None:
    print(f"csauth proxy: {text}", file=sys.stderr, flush=True)


def _quote_path(path: Path) -> str:
    from urllib.parse import quote

    return quote(str(path), safe="")


# --- where the socket goes ---------------------------------------------------------------


def runtime_dir() -> Path:
    """A private (0700) directory of ours for sockets: $XDG_RUNTIME_DIR/csauth, else
    csauth-<uid> in the temp directory. An existing one must be ours and 0700."""
    base = os.environ.get("XDG_RUNTIME_DIR", "").strip()
    if base and os.path.isabs(base) and os.path.isdir(base):
        where = Path(base) / "csauth"
    else:
        where = Path(tempfile.gettempdir()) / f"csauth-{os.getuid()}"
    try:
        where.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(where)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the runtime directory {where}: {exc.strerror or exc}"
        ) from None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise ConfigError(
            f"{where} is not a directory of yours: not putting a socket there",
            hint="remove it, or pass --socket PATH / --port N",
        )
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(where, 0o700)
    return where


def default_socket(profile: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", profile)[:40]
    return runtime_dir() / f"proxy-{safe}-{os.getpid()}.sock"


def _clear_stale_socket(path: Path) -> None:
    """Refuse a path that holds anything but a socket nobody listens on (which goes)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise ConfigError(
            f"{path} exists and is not a socket: not replacing it",
            hint="pick another --socket path",
        )
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except (ConnectionRefusedError, FileNotFoundError):
        path.unlink(missing_ok=True)  # left by a proxy that died
        return
    except OSError:
        pass
    finally:
        probe.close()
    raise ConfigError(
        f"another process is listening on {path}", hint="stop it, or pick another --socket path"
    )


# --- the command ---------------------------------------------------------------------------


def _token_source(args: Any, on_renew: Callable[[Token], None] | None) -> TokenSource:
    source = TokenSource(
        args.profile,
        scopes=args.scopes,
        project_id=args.project_id,
        config=args.config,
        on_renew=on_renew,
    )
    source.current()  # fail now, with csauth's exit codes, not on the first request
    return source


def _renewal_note(token: Token) -> None:
    _stderr_line(f"new token, expires {iso_utc(token.expires_at)}")


def run_command(args: Any) -> int:
    """`csauth proxy PROFILE [--scope S]... [--project-id N] [--socket PATH | --port N]`."""
    if args.port is None and args.host is not None:
        raise ConfigError("--host goes with --port", hint="e.g. --host ::1 --port 0")
    host = args.host or "127.0.0.1"
    if args.port is not None and not is_loopback(host):
        raise ConfigError(
            f"the proxy listens on loopback only, not {inert(host)}",
            hint="use 127.0.0.1, ::1 or localhost",
        )
    if args.port is not None and args.port > 65535:
        raise ConfigError(f"--port {args.port} is not a port (0 to 65535)")
    if args.port is None and not args.socket and not hasattr(socket, "AF_UNIX"):
        args.port = 0  # no Unix sockets here (Windows): a loopback port and its prefix
    source = _token_source(args, _renewal_note)
    return asyncio.run(_serve(source, args, host))


async def _serve(source: TokenSource, args: Any, host: str) -> int:
    proxy = Proxy(source)
    path = None
    if args.port is None:
        path = (
            Path(args.socket).expanduser() if args.socket else default_socket(source.profile.name)
        )
    try:
        url = await (
            proxy.start_unix(path) if path is not None else proxy.start_tcp(host, args.port)
        )
    except OSError as exc:
        where = str(path) if path is not None else f"{host} port {args.port}"
        raise ConfigError(
            f"cannot listen on {inert(where)}: {exc.strerror or exc}",
            hint="pick another --socket path or --port",
        ) from None
    print(url, flush=True)
    name = source.profile.name
    if proxy.socket_path is not None:
        _stderr_line(
            f"'{name}' on {proxy.socket_path}; e.g. curl --unix-socket "
            f"{proxy.socket_path} http://localhost/v1/segments"
        )
    else:
        _stderr_line(f"'{name}' on {url}; e.g. curl {url}/v1/segments")
    _stderr_line("Ctrl-C stops it")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C still interrupts
            loop.add_signal_handler(signum, stop.set)
            handled.append(signum)
    try:
        await stop.wait()
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
        _stderr_line("stopping")
        await proxy.stop()
    _stderr_line("stopped")
    return 0


class BackgroundProxy:
    """A proxy on a loopback TCP port, served by a thread of its own (for `csauth exec
    --proxy`): `start()` returns its URL, `stop()` ends it."""

    def __init__(
        self, source: TokenSource, *, log: Callable[[str], None] | None = None, quiet: bool = False
    ) -> None:
        self.proxy = Proxy(source, log=log, quiet=quiet)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="csauth-proxy", daemon=True
        )

    def start(self) -> str:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self.proxy.start_tcp(), self._loop)
        return future.result(timeout=30)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self.proxy.stop(grace=2.0), self._loop)
        with contextlib.suppress(Exception):
            future.result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()


PROXY_PLACEHOLDER = (
    "csauth-proxy"  # CS_ACCESS_TOKEN under exec --proxy: the proxy sets the real one
)


def _spawn(cmd: list[str], env: dict[str, str]) -> Any:
    """The user's command, with the user's own core limit (csauth runs with none, and a
    child inherits it); csauth's own goes back to none at once."""
    import subprocess

    from .core.hardening import no_core_dumps, restore_core_limit

    restore_core_limit()
    try:
        return subprocess.Popen(cmd, env=env)
    finally:
        no_core_dumps()


def exec_command(args: Any) -> int:
    """`csauth exec --proxy PROFILE -- CMD`: the command runs with CS_API_BASE_URL pointing
    at a proxy of its own, for as long as it runs (tokens renewed as needed)."""
    verbose = bool(getattr(args, "verbose", False))
    source = _token_source(args, _renewal_note if verbose else None)
    runner = BackgroundProxy(source, quiet=not verbose)
    url = runner.start()
    env = {k: v for k, v in os.environ.items() if k != "CS_TOKEN_EXPIRES_AT"}
    env.update(CS_API_BASE_URL=url, CS_ACCESS_TOKEN=PROXY_PLACEHOLDER)
    secret_source = source.profile.secret
    if secret_source.kind is SecretKind.ENV:  # the command gets the proxy, not the secret
        env.pop(secret_source.argument, None)
    sys.stdout.flush()
    try:
        try:
            child = _spawn(args.cmd, env)
        except FileNotFoundError:
            print(f"csauth: error: command not found: {inert(args.cmd[0])}", file=sys.stderr)
            return 127
        except PermissionError:
            print(
                f"csauth: error: cannot run {inert(args.cmd[0])}: permission denied",
                file=sys.stderr,
            )
            return 126

        def forward(signum: int, frame: Any) -> None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signum)

        # Ctrl-C reaches the child from the terminal (same process group): the child
        # decides what it means, and csauth waits for it. SIGTERM / SIGHUP are passed on.
        previous = {signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN)}
        passed_on = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
        previous.update({s: signal.signal(s, forward) for s in passed_on})
        try:
            status = child.wait()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return 128 - status if status < 0 else status
    finally:
        runner.stop()
