"""A fake Contentsquare auth + data API on loopback, for the demo, the tests and benchmarks.

Standard library only. It issues real HS256 JWTs signed with a key made per server, checks
them on the data endpoints, enforces the documented rules (scopes, levels, projects, 10
concurrent requests per project) and can be told to misbehave with `inject()`.

    with FakeContentsquare([FakeCredential("id", "secret")]) as fake:
        httpx.post(f"{fake.url}/v1/oauth/token", json={...})
        fake.inject("503", times=2)

Nothing here prints: request logs are silenced and secrets are redacted before a request
is recorded in `requests`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import math
import secrets
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..core.urls import is_loopback

TOKEN_PATH = "/v1/oauth/token"
ME_PATH = "/v1/oauth/me"
SEGMENTS_PATH = "/v1/segments"
EXPORTS_PATH = "/v1/exports"
ISSUER = "fake-contentsquare"
FOREIGN_ENDPOINT = "https://evil.example.com"
REDACTED = "REDACTED"
MAX_BODY = 64 * 1024

DEFAULT_PROJECT_NAMES: dict[int, str] = {
    1001: "Demo shop",
    1002: "Demo shop (staging)",
    1003: "Demo blog",
    1004: "Partner sandbox",
}

# Faults that replace the answer, faults that change a successful token answer, and "slow".
#   malformed_json: 200, a JSON body cut short (its Content-Length is right)
#   not_json:       200, an HTML sign-in page, as a captive portal or proxy answers
#   truncated:      200, Content-Length promises more than is sent, then the socket closes
#   stall:          200, part of the body, then nothing for `delay` seconds, then close
#   trickle:        200, the body one byte every `delay` seconds (default 0.5): no single
#                   read ever waits long, the whole answer takes minutes
#   drop:           the socket closes without an answer
#   skew_early / skew_late: the JWT's exp is `delay` seconds (default 600) earlier / later
#                   than `expires_in` says
#   gzip_bomb:      200, Content-Encoding: gzip, ~1 MB that inflates to GZIP_BOMB_BYTES
#   oversized:      200, OVERSIZED_BYTES of JSON-looking text, no Content-Length (it ends
#                   when the socket closes)
RESPONSE_FAULTS = (
    "500",
    "502",
    "503",
    "429",
    "concurrent",
    "malformed_json",
    "not_json",
    "html",
    "drop",
    "truncated",
    "stall",
    "trickle",
    "wrong_shape",
    "gzip_bomb",
    "oversized",
)
TOKEN_FAULTS = ("no_endpoint", "foreign_endpoint", "past_exp", "skew_early", "skew_late")
FAULT_KINDS = (*RESPONSE_FAULTS, *TOKEN_FAULTS, "slow")
DEFAULT_FAULT_DELAY = 2.0
DEFAULT_SKEW = 600.0
DEFAULT_TRICKLE = 0.5
GZIP_BOMB_BYTES = 1 << 30
OVERSIZED_BYTES = 4 << 20

SEGMENTS = [
    {"id": 1, "name": "New visitors"},
    {"id": 2, "name": "Returning visitors"},
    {"id": 3, "name": "Mobile users"},
    {"id": 4, "name": "Converted sessions"},
]
EXPORTS: list[dict[str, Any]] = []


@dataclass
class FakeCredential:
    client_id: str
    client_secret: str = field(repr=False)
    level: str = "project"  # "project" | "account"
    project_ids: tuple[int, ...] = (1001,)  # project-level: exactly one
    scopes: tuple[str, ...] = ("metrics", "data-export")
    account_id: int = 1
    name: str = ""
    created: str | None = None  # ISO date, shown in /me when set

    def __post_init__(self) -> None:
        if self.level not in ("project", "account"):
            raise ValueError(f"level must be 'project' or 'account', not {self.level!r}")
        self.project_ids = tuple(int(p) for p in self.project_ids)
        self.scopes = tuple(self.scopes)
        if self.level == "project" and len(self.project_ids) != 1:
            raise ValueError("a project-level credential reaches exactly one project")


@dataclass
class RecordedRequest:
    """One request as the server saw it, with client_secret and the bearer token removed."""

    method: str
    path: str
    body: Any  # the JSON body (client_secret redacted), None when absent or not JSON
    headers: dict[str, str]  # Authorization shows its scheme only
    status: int = 0  # 0: the connection was dropped without an answer
    time: float = 0.0  # time.time() when the request arrived
    query: dict[str, str] = field(default_factory=dict)
    duration: float = 0.0
    fault: str | None = None  # the injected fault that shaped the answer, if any
    token_id: str | None = None  # the jti of the bearer token, when it is one of ours

    @property
    def json(self) -> Any:
        return self.body


@dataclass
class Fault:
    kind: str
    path: str | None = None
    times: int | None = 1  # None: until clear_faults()
    project_id: int | None = None
    retry_after: float | None = None
    delay: float | None = None

    def matches(self, path: str, project: int | None) -> bool:
        if self.path is not None and _norm_path(self.path) != _norm_path(path):
            return False
        return self.project_id is None or self.project_id == project


class HttpAnswer(Exception):
    """Raised inside a route to answer with `status` and a JSON `payload`."""

    def __init__(self, status: int, payload: Any) -> None:
        super().__init__(status)
        self.status, self.payload = status, payload


def _envelope(status: int, code: str, message: str) -> HttpAnswer:
    return HttpAnswer(status, {"success": False, "errorCode": code, "errorMessage": message})


def _oauth_error(status: int, error: str, description: str) -> HttpAnswer:
    return HttpAnswer(status, {"error": error, "error_description": description})


def _norm_path(path: str) -> str:
    return urlsplit(path).path.rstrip("/") or "/"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if k == "client_secret" else _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


@functools.lru_cache(maxsize=2)
def gzip_bomb(inflated: int = GZIP_BOMB_BYTES) -> bytes:
    """A valid gzip stream of `inflated` zero bytes (a whole number of MiB) in ~1/1000 of
    that: one MiB compressed after a full flush is the same bytes every time, so it is
    compressed once and repeated."""
    mib = 1 << 20
    block = b"\0" * mib
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    once = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    count = max(1, inflated // mib)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (count * mib) & 0xFFFFFFFF)
    return header + once * count + deflate.flush() + trailer


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class FakeContentsquare:
    """The fake API. `start()` (or `with`) serves it on loopback in a daemon thread."""

    def __init__(
        self,
        credentials: Iterable[FakeCredential] | None = None,
        *,
        token_lifetime: float = 3600,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        max_concurrent_per_project: int = 10,
        endpoint: str | None = None,
        project_names: Mapping[int, str] | None = None,
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"the fake Contentsquare API serves loopback only, not {host!r}")
        self.token_lifetime = token_lifetime
        self.latency = latency
        self.host, self.port = host, port
        self.max_concurrent_per_project = max_concurrent_per_project
        self.endpoint = endpoint
        self.project_names = dict(DEFAULT_PROJECT_NAMES if project_names is None else project_names)
        # Seconds this server's clock runs ahead when it checks a bearer token's exp: it
        # then answers JWT_EXPIRED to tokens a client still counts as live (clock skew).
        self.clock_ahead = 0.0
        self.requests: list[RecordedRequest] = []
        self.max_in_flight: dict[int, int] = {}
        self.in_flight: dict[int, int] = {}
        self.faults: list[Fault] = []
        # A hostile server's words: when set, the errorMessage / error_description of every
        # error answer, and claims added to every token it signs (escape sequences...).
        self.error_message: str | None = None
        self.extra_claims: dict[str, Any] = {}
        self._credentials: dict[str, FakeCredential] = {}
        self._issued: dict[str, str] = {}  # jti -> level of the credential
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None
        for cred in credentials or ():
            self.add_credential(cred)

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the fake Contentsquare server is not started yet")
        return self._url

    def start(self) -> FakeContentsquare:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self.host, self.port), _Handler)
        server.fake = self
        self._server = server
        host, port = server.server_address[:2]
        if isinstance(host, bytes):  # an AF_UNIX-style address; never for AF_INET
            host = host.decode()
        self._url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-contentsquare:{port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections, wake sleeping handlers, release the port."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes handlers sleeping on latency, "slow" or "stall"
        server.close_connections()
        server.shutdown()
        server.server_close()
        server.close_connections()  # any connection accepted meanwhile
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        server.join_handlers(timeout=5)

    def __enter__(self) -> FakeContentsquare:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self._url or "not started"
        return f"<FakeContentsquare {where} credentials={len(self._credentials)}>"

    # --- configuration --------------------------------------------------------------------

    def add_credential(self, cred: FakeCredential) -> None:
        with self._lock:
            self._credentials[cred.client_id] = cred

    def inject(
        self,
        kind: str,
        *,
        path: str | None = None,
        times: int | None = 1,
        project_id: int | None = None,
        retry_after: float | None = None,
        delay: float | None = None,
    ) -> None:
        """Misbehave `times` times (None: until clear_faults) on `path` / for `project_id`."""
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for 'until cleared'")
        if kind == "gzip_bomb":
            gzip_bomb()  # built here (once), not while a client waits for its answer
        with self._lock:
            self.faults.append(Fault(kind, path, times, project_id, retry_after, delay))

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def _take_fault(self, kinds: Iterable[str], path: str, project: int | None) -> Fault | None:
        kinds = set(kinds)
        with self._lock:
            for fault in self.faults:
                if fault.kind in kinds and fault.matches(path, project):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    # --- concurrency ----------------------------------------------------------------------

    def _enter(self, project: int) -> bool:
        with self._lock:
            now = self.in_flight.get(project, 0)
            if now >= self.max_concurrent_per_project:
                return False
            self.in_flight[project] = now + 1
            self.max_in_flight[project] = max(self.max_in_flight.get(project, 0), now + 1)
            return True

    def _leave(self, project: int) -> None:
        with self._lock:
            self.in_flight[project] = max(0, self.in_flight.get(project, 0) - 1)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(entry)

    # --- JWTs -----------------------------------------------------------------------------

    def _sign(self, claims: dict[str, Any]) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{header}.{payload}".encode("ascii")
        signature = hmac.new(self._key, signing_input, hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def _verify(self, token: str) -> tuple[dict[str, Any], str]:
        """(claims, level of its credential) of a token this server issued, else 401."""
        invalid = _envelope(401, "INVALID_TOKEN", "Invalid token")
        parts = token.split(".")
        if len(parts) != 3:
            raise invalid
        expected = hmac.new(
            self._key, f"{parts[0]}.{parts[1]}".encode("ascii", "replace"), hashlib.sha256
        ).digest()
        try:
            if not hmac.compare_digest(expected, _unb64(parts[2])):
                raise invalid
            claims = json.loads(_unb64(parts[1]))
        except (ValueError, TypeError):
            raise invalid from None
        level = self._issued.get(str(claims.get("jti"))) if isinstance(claims, dict) else None
        if level is None:
            raise invalid
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or time.time() + self.clock_ahead >= exp:
            raise _envelope(401, "JWT_EXPIRED", "Auth token is expired.")
        return claims, level

    def token_id(self, token: str | None) -> str | None:
        """The jti of a bearer token this server signed (expired or not), else None: tells
        tests which token a request carried without recording the token itself."""
        parts = (token or "").split(".")
        if len(parts) != 3:
            return None
        expected = hmac.new(
            self._key, f"{parts[0]}.{parts[1]}".encode("ascii", "replace"), hashlib.sha256
        ).digest()
        try:
            if not hmac.compare_digest(expected, _unb64(parts[2])):
                return None
            jti = json.loads(_unb64(parts[1])).get("jti")
        except (ValueError, TypeError, AttributeError):
            return None
        return jti if isinstance(jti, str) else None

    def _token_project(self, token: str) -> int | None:
        """The project a bearer token is for, if it is one of ours (for concurrency counts)."""
        try:
            claims, _ = self._verify(token)
        except HttpAnswer as answer:
            if answer.payload.get("errorCode") != "JWT_EXPIRED":
                return None
            claims = json.loads(_unb64(token.split(".")[1]))
        project = claims.get("project_id")
        return project if _is_int(project) else None

    # --- routes ---------------------------------------------------------------------------

    def _credential(self, body: dict[str, Any]) -> FakeCredential:
        client_id, secret = body.get("client_id"), body.get("client_secret")
        cred = self._credentials.get(client_id) if isinstance(client_id, str) else None
        if (
            cred is None
            or not isinstance(secret, str)
            or not hmac.compare_digest(cred.client_secret.encode(), secret.encode())
        ):
            raise _oauth_error(401, "invalid_client", "Client authentication failed")
        return cred

    def _request_project(self, path: str, body: Any, bearer: str | None) -> int | None:
        """Which project a request counts against: its project_id, its credential's, its token's."""
        if path == TOKEN_PATH and isinstance(body, dict):
            if _is_int(body.get("project_id")):
                return body["project_id"]
            client_id = body.get("client_id")
            cred = self._credentials.get(client_id) if isinstance(client_id, str) else None
            if cred is not None and cred.level == "project":
                return cred.project_ids[0]
        if path in (SEGMENTS_PATH, EXPORTS_PATH) and bearer:
            return self._token_project(bearer)
        return None

    def _token(self, body: Any, project: int | None) -> tuple[dict[str, Any], list[str]]:
        """The token answer, and the token faults (no_endpoint...) that shaped it."""
        if not isinstance(body, dict):
            raise _oauth_error(400, "invalid_request", "The request body must be a JSON object")
        if body.get("grant_type") != "client_credentials":
            raise _oauth_error(400, "invalid_request", "grant_type must be 'client_credentials'")
        cred = self._credential(body)

        raw_scope = body.get("scope")
        scopes = list(dict.fromkeys(raw_scope.split())) if isinstance(raw_scope, str) else []
        if not scopes:
            raise _envelope(400, "INVALID_SCOPE", 'scope is required (e.g. "metrics")')
        if "enrichment" in scopes and len(scopes) > 1:
            raise _envelope(
                400, "INVALID_SCOPE", "The enrichment scope cannot be combined with other scopes"
            )
        missing = [s for s in scopes if s not in cred.scopes]
        if missing:
            raise _envelope(
                403,
                "FORBIDDEN",
                f"These credentials are not granted the scope(s): {' '.join(missing)}",
            )

        project_id = body.get("project_id")
        if cred.level == "account":
            if project_id is None:
                raise _envelope(
                    400,
                    "PROJECT_ID_REQUIRED",
                    "project_id is required for account-level credentials",
                )
            if not _is_int(project_id) or project_id not in cred.project_ids:
                raise _envelope(
                    403,
                    "PROJECT_FORBIDDEN",
                    "These credentials cannot access the requested project",
                )
        else:
            if project_id is not None and project_id != cred.project_ids[0]:
                raise _envelope(
                    403,
                    "PROJECT_FORBIDDEN",
                    "These credentials cannot access the requested project",
                )
            project_id = cred.project_ids[0]

        lifetime = float(self.token_lifetime)
        now = time.time()
        if lifetime >= 1 and lifetime.is_integer():
            exp: float = math.ceil(now) + int(lifetime)  # never shorter than the lifetime
        else:
            exp = round(now + lifetime, 3)
        modifiers: dict[str, Fault] = {}
        for kind in TOKEN_FAULTS:
            fault = self._take_fault([kind], TOKEN_PATH, project)
            if fault is not None:
                modifiers[kind] = fault
        if "past_exp" in modifiers:
            exp = int(now) - 60
        for kind, sign in (("skew_early", -1), ("skew_late", 1)):
            if kind in modifiers:
                skew = modifiers[kind].delay
                exp += sign * (DEFAULT_SKEW if skew is None else skew)
        jti = secrets.token_hex(12)
        claims = {
            "iss": ISSUER,
            "sub": cred.client_id,
            "iat": int(now),
            "exp": exp,
            "scope": " ".join(scopes),
            "project_id": project_id,
            "account_id": cred.account_id,
            "jti": jti,
            **self.extra_claims,
        }
        with self._lock:
            self._issued[jti] = cred.level
        answer: dict[str, Any] = {
            "access_token": self._sign(claims),
            "token_type": "Bearer",
            "expires_in": max(1, int(lifetime)),
            "endpoint": self.endpoint or self.url,
            "scope": " ".join(scopes),
            "project_id": project_id,
        }
        if "no_endpoint" in modifiers:
            del answer["endpoint"]
        if "foreign_endpoint" in modifiers:
            answer["endpoint"] = FOREIGN_ENDPOINT
        return answer, sorted(modifiers)

    def _me(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _oauth_error(400, "invalid_request", "The request body must be a JSON object")
        cred = self._credential(body)
        answer: dict[str, Any] = {
            "client_id": cred.client_id,
            "name": cred.name or cred.client_id,
            "level": cred.level,
            "account_id": cred.account_id,
            "scopes": " ".join(cred.scopes),
            "permissions": {
                "projects": [
                    {"id": p, "name": self.project_names.get(p, f"Project {p}")}
                    for p in cred.project_ids
                ]
            },
        }
        if cred.created:
            answer["created_at"] = cred.created
        return answer

    def _data(self, path: str, bearer: str | None, query: dict[str, str]) -> dict[str, Any]:
        if not bearer:
            raise _envelope(401, "INVALID_TOKEN", "Missing bearer token")
        claims, level = self._verify(bearer)
        token_project = claims.get("project_id")
        raw_project = query.get("projectId")
        if raw_project is None:
            if level == "account":
                raise _envelope(
                    400,
                    "PROJECT_ID_REQUIRED",
                    "projectId is required with account-level credentials",
                )
        else:
            try:
                asked = int(raw_project)
            except ValueError:
                raise _envelope(400, "INVALID_PARAMETER", "projectId must be an integer") from None
            if asked != token_project:
                raise _envelope(
                    403, "PROJECT_FORBIDDEN", "This token cannot access the requested project"
                )
        needed = "metrics" if path == SEGMENTS_PATH else "data-export"
        if needed not in str(claims.get("scope", "")).split():
            raise _envelope(403, "FORBIDDEN", f"This token does not grant the {needed} scope")
        return {"success": True, "payload": list(SEGMENTS if path == SEGMENTS_PATH else EXPORTS)}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() joins handlers itself, with a timeout
    request_queue_size = 128
    allow_reuse_address = True
    fake: FakeContentsquare

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._open: dict[threading.Thread, socket.socket] = {}
        self._open_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_one, args=(request, client_address), daemon=True
        )
        with self._open_lock:
            self._open[thread] = request
        thread.start()

    def _serve_one(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.pop(threading.current_thread(), None)

    def close_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open.values())
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def join_handlers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._open_lock:
            threads = list(self._open)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up is not worth a traceback on stderr


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeContentsquare/1.0"
    sys_version = ""
    timeout = 60  # idle keep-alive connections end on their own
    # Headers and body go out in two sends: with Nagle on, the body of every answer after
    # a connection's first waited for the client's delayed ACK (40 ms on Linux).
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # never print request lines (and so never a secret in a URL)

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    # --- one request ----------------------------------------------------------------------

    def _dispatch(self) -> None:
        fake = self.server.fake
        started = time.time()
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = dict(parse_qsl(parts.query))
        raw = self._read_body()
        try:
            body = json.loads(raw) if raw else None  # anything but an object is refused
        except ValueError:
            body = None
        auth = self.headers.get("Authorization", "")
        bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        headers = {k: v for k, v in self.headers.items()}
        for name in list(headers):
            if name.lower() == "authorization":
                scheme = headers[name].split(" ", 1)[0]
                headers[name] = f"{scheme} {REDACTED}"
        self._fault: str | None = None
        self._entry: RecordedRequest | None = RecordedRequest(
            method=self.command,
            path=path,
            body=_redact(body),
            headers=headers,
            time=started,
            query=_redact(query),
            token_id=fake.token_id(bearer),
        )
        project = fake._request_project(path, body, bearer)
        entered = project is not None and fake._enter(project)
        self._slot = project if entered else None
        try:
            if project is not None and not entered:
                self._json(
                    429,
                    {
                        "success": False,
                        "errorCode": "CONCURRENT_API_CALL",
                        "errorMessage": "Too much concurrent calls",
                    },
                )
                return
            slow = fake._take_fault(["slow"], path, project)
            fault = fake._take_fault(RESPONSE_FAULTS, path, project)
            extra = 0.0
            if slow is not None:
                extra = slow.delay if slow.delay is not None else DEFAULT_FAULT_DELAY
                self._fault = "slow"
            fake._sleep(fake.latency + extra)
            if fault is not None:
                self._fault = fault.kind
                self._answer_fault(fault, path)
            else:
                self._route(path, body, bearer, query, project)
        except OSError:
            pass  # the client went away, or stop() cut the connection
        finally:
            self._finish(0)  # no-op when an answer was sent

    def _finish(self, status: int) -> None:
        """Free the concurrency slot and record the request, once, before answering.

        Before, not after: a client that reads the answer then looks at `requests` (or sends
        its next call under a tight concurrency limit) must not race this thread.
        """
        entry, self._entry = self._entry, None
        if entry is None:
            return
        fake = self.server.fake
        if self._slot is not None:
            fake._leave(self._slot)
            self._slot = None
        entry.status, entry.fault = status, self._fault
        entry.duration = time.time() - entry.time
        fake._record(entry)

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            size = max(int(length), 0)
        except ValueError:
            size = 0
        if size > MAX_BODY:
            self.close_connection = True  # the rest stays unread: never reuse this connection
        return self.rfile.read(min(size, MAX_BODY))

    def _route(
        self, path: str, body: Any, bearer: str | None, query: dict[str, str], project: int | None
    ) -> None:
        fake = self.server.fake
        routes = {TOKEN_PATH: "POST", ME_PATH: "POST", SEGMENTS_PATH: "GET", EXPORTS_PATH: "GET"}
        try:
            if path not in routes:
                raise _envelope(404, "NOT_FOUND", f"No route for {self.command} {path}")
            if self.command != routes[path]:
                raise _envelope(405, "METHOD_NOT_ALLOWED", f"Use {routes[path]} for {path}")
            if path == TOKEN_PATH:
                payload, applied = fake._token(body, project)
                if applied:
                    self._fault = ",".join(filter(None, [self._fault, *applied]))
                self._json(200, payload)
            elif path == ME_PATH:
                self._json(200, fake._me(body))
            else:
                self._json(200, fake._data(path, bearer, query))
        except HttpAnswer as answer:
            self._json(answer.status, answer.payload)

    # --- faults ---------------------------------------------------------------------------

    def _answer_fault(self, fault: Fault, path: str) -> None:
        retry = {}
        if fault.retry_after is not None:
            retry["Retry-After"] = _seconds(fault.retry_after)
        kind = fault.kind
        if kind == "500":
            self._json(
                500,
                {
                    "success": False,
                    "errorCode": "INTERNAL_SERVER_ERROR",
                    "errorMessage": "Internal server error",
                },
            )
        elif kind in ("502", "503"):
            title = "502 Bad Gateway" if kind == "502" else "503 Service Temporarily Unavailable"
            page = (
                f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
                f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
                "</body>\r\n</html>\r\n"
            )
            self._send(int(kind), page.encode(), "text/html", retry)
        elif kind == "429":
            self._json(
                429,
                {
                    "success": False,
                    "errorCode": "TOO_MANY_REQUESTS",
                    "errorMessage": "Too many requests",
                },
                retry,
            )
        elif kind == "concurrent":
            self._json(
                429,
                {
                    "success": False,
                    "errorCode": "CONCURRENT_API_CALL",
                    "errorMessage": "Too much concurrent calls",
                },
                retry,
            )
        elif kind == "malformed_json":
            self._send(200, self._truncated(path), "application/json")
        elif kind == "not_json":
            page = (
                "<!DOCTYPE html><html><head><title>Sign in to continue</title></head>"
                '<body><form method="post" action="/login">Sign in to use this '
                "network</form></body></html>"
            )
            self._send(200, page.encode(), "text/html; charset=utf-8")
        elif kind == "html":
            page = (
                "<!DOCTYPE html><html><head><title>Something went wrong</title></head>"
                "<body><h1>Something went wrong</h1><p>Please try again later.</p>"
                "</body></html>"
            )
            self._send(500, page.encode(), "text/html; charset=utf-8")
        elif kind == "wrong_shape":
            self._json(200, ["unexpected", {"shape": "list instead of object"}])
        elif kind == "drop":
            self.close_connection = True  # nothing written: the client sees the socket close
        elif kind == "truncated":
            self._partial(path, 0.0)
        elif kind == "stall":
            self._partial(path, fault.delay if fault.delay is not None else DEFAULT_FAULT_DELAY)
        elif kind == "trickle":
            self._trickle(path, fault.delay if fault.delay is not None else DEFAULT_TRICKLE)
        elif kind == "gzip_bomb":
            self._send(200, gzip_bomb(), "application/json", {"Content-Encoding": "gzip"})
        elif kind == "oversized":
            self._oversized()

    @staticmethod
    def _truncated(path: str) -> bytes:
        if path == TOKEN_PATH:
            return b'{"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3Mi'
        return b'{"success": true, "payload": [{"id": 1, "name": "New vis'

    @staticmethod
    def _whole_body(path: str) -> bytes:
        """What a full answer on `path` would look like (never a usable token)."""
        if path == TOKEN_PATH:
            return json.dumps(
                {
                    "access_token": "never-sent-" + "x" * 400,
                    "token_type": "Bearer",
                    "expires_in": 3600,
                }
            ).encode()
        return json.dumps({"success": True, "payload": SEGMENTS}).encode()

    def _partial(self, path: str, delay: float) -> None:
        """Headers promising the whole body, a third of it, `delay` seconds of silence,
        then the socket closes."""
        whole = self._whole_body(path)
        self._finish(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(whole)))
        self.end_headers()
        self.wfile.write(whole[: len(whole) // 3])
        self.wfile.flush()
        self.server.fake._sleep(delay)
        self.close_connection = True

    def _trickle(self, path: str, every: float) -> None:
        whole = self._whole_body(path)
        fake = self.server.fake
        self._finish(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(whole)))
        self.end_headers()
        self.wfile.flush()
        for i in range(len(whole)):
            fake._sleep(every)
            if fake._stopping.is_set():
                break
            self.wfile.write(whole[i : i + 1])
            self.wfile.flush()
        self.close_connection = True

    def _oversized(self) -> None:
        """OVERSIZED_BYTES of a JSON object that never closes, then the socket closes."""
        self._finish(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b" " * (64 * 1024)
        self.wfile.write(b'{"access_token": "never-sent", "padding": "')
        for _ in range(OVERSIZED_BYTES // len(chunk)):
            if self.server.fake._stopping.is_set():
                break
            self.wfile.write(chunk)
        self.wfile.flush()
        self.close_connection = True

    # --- writing --------------------------------------------------------------------------

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        said = self.server.fake.error_message
        if said is not None and status >= 400 and isinstance(payload, dict):
            payload = {
                k: said if k in ("errorMessage", "error_description") else v
                for k, v in payload.items()
            }
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self._finish(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status >= 400 and status != 429:
            self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
