"""ops/nginx/messages.conf, run for real: nginx on loopback ports in front of two real app
processes on one database (or in front of a stand-in upstream where the app would hide
what nginx does).

The production file is rendered with only its ports, upstream servers and paths changed;
the test rendering adds one header, X-Upstream, to tell the two instances apart.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from service.middleware import SecurityHeadersMiddleware
from tests.conftest import TEST_SECRET
from tests.live_server import LiveServer, free_port
from tests.ops_support import OPS, ROOT, system_tool

NGINX_DIR = OPS / "nginx"
DEMO = {"username": "user@example.com", "password": "12341234", "user_timezone": "UTC"}
# The headers the app puts on every response over HTTPS: nginx must match them on what it
# serves itself, and never add them to what the app serves.
SECURITY_HEADERS = SecurityHeadersMiddleware(app=None, https=True).headers  # type: ignore[arg-type]
IMMUTABLE = "public, max-age=31536000, immutable"
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


def nginx_binary() -> str:
    return system_tool("nginx", "apt-get install nginx", "/usr/sbin")


def openssl_binary() -> str:
    return system_tool("openssl", "apt-get install openssl")


def rendered(text: str, replacements: list[tuple[str, str]]) -> str:
    """text with each (old, new) replaced; old must occur, so a drifted config fails loudly."""
    for old, new in replacements:
        assert old in text, f"{old!r} is no longer in the nginx config: update the renderer"
        text = text.replace(old, new)
    return text


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    request = "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
    names = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        [openssl_binary(), *request.split(), *names, *files],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


@dataclass
class Nginx:
    """A real nginx (daemon off) on two free loopback ports, stopped by stop()."""

    prefix: Path
    http_port: int
    https_port: int
    certificate: Path
    process: subprocess.Popen[str] | None = None

    @classmethod
    def render(cls, prefix: Path, upstream_ports: list[int]) -> Nginx:
        """Write prefix/nginx.conf: Debian's http {} defaults around ops/nginx/messages.conf."""
        for sub in ("logs", "temp", "snippets", "acme"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)
        certificate, key = self_signed_certificate(prefix)
        nginx = cls(prefix, free_port(), free_port(), certificate)
        first, second = upstream_ports
        live = "/etc/letsencrypt/live/messages.example.com"
        site = rendered(
            (NGINX_DIR / "messages.conf").read_text(),
            [
                ("listen 80;", f"listen 127.0.0.1:{nginx.http_port};"),
                ("listen 443 ssl http2;", f"listen 127.0.0.1:{nginx.https_port} ssl http2;"),
                ("    listen [::]:80;\n", ""),
                ("    listen [::]:443 ssl http2;\n", ""),
                ("server 127.0.0.1:8001 ", f"server 127.0.0.1:{first} "),
                ("server 127.0.0.1:8002 ", f"server 127.0.0.1:{second} "),
                (f"{live}/fullchain.pem", str(certificate)),
                (f"{live}/privkey.pem", str(key)),
                ("/var/log/nginx/", f"{prefix}/logs/"),
                ("/var/www/letsencrypt", f"{prefix}/acme"),
                ("/etc/nginx/snippets/", f"{prefix}/snippets/"),
                ("/opt/messages/current/", f"{ROOT}/"),
            ],
        )
        (prefix / "messages.conf").write_text(site)
        for snippet in (NGINX_DIR / "snippets").glob("*.conf"):
            text = snippet.read_text()
            if snippet.name == "messages-proxy.conf":
                # Test only: which instance answered.
                text += "add_header X-Upstream $upstream_addr always;\n"
            (prefix / "snippets" / snippet.name).write_text(text)
        temp = prefix / "temp"
        # Root runs the workers as root here: pytest's temp directories are private to it.
        user = "user root;" if os.geteuid() == 0 else ""
        (prefix / "nginx.conf").write_text(
            f"""
daemon off;
worker_processes 1;
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log notice;
events {{ worker_connections 256; }}
http {{
    # As Debian's /etc/nginx/nginx.conf has them, so a clash with the site shows here.
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    access_log {prefix}/logs/access.log;
    gzip on;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {prefix}/messages.conf;
}}
"""
        )
        return nginx

    def command(self, *args: str) -> list[str]:
        return [
            nginx_binary(),
            "-p", str(self.prefix),
            "-c", str(self.prefix / "nginx.conf"),
            "-e", str(self.prefix / "logs" / "error.log"),
            *args,
        ]  # fmt: skip

    def check(self) -> str:
        """nginx -t: the configuration is valid; returns what nginx said."""
        result = subprocess.run(
            self.command("-t"), capture_output=True, text=True, timeout=30, check=False
        )
        assert result.returncode == 0, result.stderr
        return result.stderr

    def start(self) -> None:
        said = self.check()
        assert "[warn]" not in said and "[emerg]" not in said, said
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("nginx exited:\n" + self.error_log())
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1),
            ):
                return
            time.sleep(0.05)
        raise AssertionError("nginx did not listen:\n" + self.error_log())

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful shutdown
        try:
            self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate(timeout=10)

    def error_log(self) -> str:
        path = self.prefix / "logs" / "error.log"
        return path.read_text() if path.exists() else ""

    def access_log(self) -> str:
        return (self.prefix / "logs" / "messages.access.log").read_text()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def client(self, **options: object) -> httpx.Client:
        """An HTTPS client for this nginx that trusts its certificate and no proxy."""
        context = ssl.create_default_context(cafile=str(self.certificate))
        return httpx.Client(
            base_url=self.url, verify=context, trust_env=False, timeout=10, **options
        )


@contextlib.contextmanager
def running_nginx(prefix: Path, upstream_ports: list[int]) -> Iterator[Nginx]:
    nginx = Nginx.render(prefix, upstream_ports)
    nginx.start()
    try:
        yield nginx
    finally:
        nginx.stop()


@dataclass
class Stack:
    nginx: Nginx
    apps: list[LiveServer]

    def upstream(self, app: LiveServer) -> str:
        return f"127.0.0.1:{app.port}"


@pytest.fixture
def stack(database_url: str, tmp_path: Path) -> Iterator[Stack]:
    """nginx in front of two real app processes (HTTPS=true, as behind TLS) on one database."""
    apps: list[LiveServer] = []
    try:
        for name in ("a", "b"):
            apps.append(
                LiveServer(
                    tmp_path / name, DATABASE_URL=database_url, SECRET_KEY=TEST_SECRET, HTTPS="true"
                )
            )
        with running_nginx(tmp_path / "nginx", [app.port for app in apps]) as nginx:
            yield Stack(nginx, apps)
    finally:
        for app in apps:
            app.stop()


def assert_security_headers_once(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get_list(name) == [value], (name, response.url)


def static_urls(page: str) -> list[str]:
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert any(".css?v=" in url for url in urls) and any(".js?v=" in url for url in urls), urls
    return urls


def test_the_config_is_valid_without_warnings(tmp_path: Path) -> None:
    nginx = Nginx.render(tmp_path, [free_port(), free_port()])
    said = nginx.check()
    assert "test is successful" in said
    assert "[warn]" not in said, said


def test_nginx_alone_redirects_to_https_speaks_modern_tls_and_has_its_own_error_pages(
    tmp_path: Path,
) -> None:
    # Nothing listens on the upstream ports: every proxied request fails over and fails.
    with running_nginx(tmp_path, [free_port(), free_port()]) as nginx:
        plain = f"http://127.0.0.1:{nginx.http_port}"
        with httpx.Client(trust_env=False, timeout=10) as client:
            response = client.get(f"{plain}/msgs?before=5")
            assert response.status_code == 301
            assert response.headers["location"] == "https://127.0.0.1/msgs?before=5"
            (tmp_path / "acme" / ".well-known" / "acme-challenge").mkdir(parents=True)
            (tmp_path / "acme" / ".well-known" / "acme-challenge" / "token").write_text("t")
            assert client.get(f"{plain}/.well-known/acme-challenge/token").text == "t"

        # TLS 1.3 by default; TLS 1.2 only with forward secrecy and AEAD.
        context = ssl.create_default_context(cafile=str(nginx.certificate))
        with socket.create_connection(("127.0.0.1", nginx.https_port), timeout=5) as raw:  # noqa: SIM117
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                assert tls.version() == "TLSv1.3"
        tls12 = ssl.create_default_context(cafile=str(nginx.certificate))
        tls12.maximum_version = ssl.TLSVersion.TLSv1_2
        tls12.set_ciphers("AES128-GCM-SHA256")  # RSA key exchange: no forward secrecy
        with (
            pytest.raises(ssl.SSLError),
            socket.create_connection(("127.0.0.1", nginx.https_port), timeout=5) as raw,
            tls12.wrap_socket(raw, server_hostname="127.0.0.1"),
        ):
            pass
        tls12.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
        with (
            socket.create_connection(("127.0.0.1", nginx.https_port), timeout=5) as raw,
            tls12.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            assert tls.version() == "TLSv1.2"

        with nginx.client() as client:
            down = client.get("/msgs")
            assert down.status_code == 502
            assert "Temporarily unavailable" in down.text
            assert down.headers["content-type"] == "text/html"
            assert_security_headers_once(down)

            too_large = client.post("/api/message", content=b"m" * (65 * 1024))
            assert too_large.status_code == 413
            assert "Request too large" in too_large.text
            assert_security_headers_once(too_large)


def test_pages_are_proxied_gzipped_with_the_apps_headers_once_and_static_files_from_disk(
    stack: Stack,
) -> None:
    with stack.nginx.client() as client:
        page = client.get("/")
        assert page.status_code == 200
        assert page.headers["content-encoding"] == "gzip"
        assert "accept-encoding" in page.headers["vary"].lower()
        assert_security_headers_once(page)
        assert page.headers.get_list("server") == ["nginx"]  # no version, no uvicorn
        # nginx's request id reaches the app, comes back, and is in nginx's log.
        request_id = page.headers["x-request-id"]
        assert REQUEST_ID.match(request_id)
        assert f"id={request_id}" in stack.nginx.access_log()

        for url in [*static_urls(page.text), "/static/favicon.svg"]:
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.headers.get_list("cache-control") == [IMMUTABLE], url
            assert_security_headers_once(response)
            # From disk: the app was not asked (it answers every request with an id).
            assert "x-request-id" not in response.headers, url
            assert "x-upstream" not in response.headers, url
            if url.split("?")[0].endswith((".css", ".js")):
                assert response.headers["content-encoding"] == "gzip", url
            name = url.split("?")[0].removeprefix("/static/")
            assert response.content == (ROOT / "static" / name).read_bytes()
        missing = client.get("/static/nothing-here.css")
        assert missing.status_code == 404
        assert "x-request-id" not in missing.headers

        # Host and scheme are forwarded as uvicorn trusts them: the app's same-origin
        # check accepts a form post whose Origin is this very site, and nothing else.
        headers = {"Origin": stack.nginx.url, "HX-Request": "true"}
        signed_in = client.post("/api/login", data=DEMO, headers=headers)
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.headers["hx-redirect"] == "/msgs"
        assert "__Host-session" in client.cookies
        dashboard = client.get("/msgs")
        assert dashboard.status_code == 200
        assert_security_headers_once(dashboard)
        assert dashboard.headers["content-encoding"] == "gzip"
        cross_site = client.post(
            "/api/message", data={"message": "hi"}, headers={"Origin": "https://evil.example"}
        )
        assert cross_site.status_code == 403


def test_rate_limits_answer_429_with_a_small_html_page(stack: Stack) -> None:
    with stack.nginx.client() as client:
        # /api/login: 5 a minute with a burst of 5, so 6 at once and then 429.
        statuses = [client.post("/api/login", data={}).status_code for _ in range(8)]
        assert statuses[:6] == [422] * 6  # the app's answer to an empty form
        assert statuses[6:] == [429, 429]
        limited = client.post("/api/login", data=DEMO)
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "text/html"
        assert "<h1>Too many requests</h1>" in limited.text
        assert "nginx" not in limited.text
        assert limited.headers["retry-after"] == "60"
        assert limited.headers.get_list("cache-control") == ["no-store"]
        assert_security_headers_once(limited)

        # The rest of /api/: about 10 a second with a burst of 20.
        started = time.monotonic()
        passed = 0
        for _ in range(100):
            response = client.get("/api/messages")
            if response.status_code == 429:
                break
            assert response.status_code == 401  # signed out; nginx let it through
            passed += 1
        elapsed = time.monotonic() - started
        assert response.status_code == 429
        assert "<h1>Too many requests</h1>" in response.text
        assert 20 <= passed <= 21 + 10 * elapsed, (passed, elapsed)

        # Pages outside /api/ are not limited.
        assert all(client.get("/healthz").status_code == 200 for _ in range(30))


def test_requests_spread_over_both_instances_and_survive_one_dying(stack: Stack) -> None:
    first, second = stack.apps
    with stack.nginx.client() as client:
        assert client.post("/api/login", data=DEMO).status_code == 303
        served = [client.get("/healthz").headers["x-upstream"] for _ in range(20)]
        assert served.count(stack.upstream(first)) >= 5, served
        assert served.count(stack.upstream(second)) >= 5, served

        first.process.kill()  # a crash: no goodbye, connections just drop
        first.process.wait(timeout=10)
        for path in ["/healthz", "/msgs"] * 10:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.text)
            # The survivor answered (after the dead one was tried, for the first requests).
            assert response.headers["x-upstream"].endswith(stack.upstream(second))
        assert "Messages" in response.text  # the session is still good on the survivor


def test_events_stream_through_nginx_from_either_instance(stack: Stack) -> None:
    """A message posted through nginx (to one instance) reaches a stream held by the other."""
    with stack.nginx.client() as client:
        assert client.post("/api/login", data=DEMO).status_code == 303
        deadline = time.monotonic() + 15
        with client.stream("GET", "/events", headers={"Accept": "text/event-stream"}) as events:
            assert events.status_code == 200
            assert events.headers["content-type"].startswith("text/event-stream")
            assert "content-encoding" not in events.headers
            streaming_from = events.headers["x-upstream"]
            chunks = events.iter_text()
            received = next(chunks)  # the stream is open before anything is posted
            posted = client.post(
                "/api/message", data={"message": "through nginx"}, headers={"HX-Request": "true"}
            )
            assert posted.status_code == 201, posted.text
            assert posted.headers["x-upstream"] != streaming_from  # least_conn: the other one
            while "through nginx" not in received and time.monotonic() < deadline:
                received += next(chunks)
        assert "through nginx" in received


class StandIn(BaseHTTPRequestHandler):
    """An upstream that records what nginx forwards and streams events only when told."""

    protocol_version = "HTTP/1.1"
    server: StandInServer

    def do_GET(self) -> None:
        self.server.seen.append((self.client_address[1], self.request_version, self.headers))
        if self.path != "/events":
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        # Unlike the app, no X-Accel-Buffering header: only nginx's config decides here.
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b"data: first\n\n")
        self.wfile.flush()
        self.server.release.wait(10)
        self.wfile.write(b"data: second\n\n")
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


class StandInServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), StandIn)
        self.seen: list[tuple[int, str, Message]] = []
        self.release = threading.Event()


def test_events_are_passed_unbuffered_with_the_forwarded_headers(tmp_path: Path) -> None:
    upstream = StandInServer()
    thread = threading.Thread(target=upstream.serve_forever, daemon=True)
    thread.start()
    port = upstream.server_address[1]
    try:
        with running_nginx(tmp_path, [port, port]) as nginx, nginx.client() as client:
            for _ in range(5):
                assert client.get("/healthz").text == "ok"
            # Kept alive: five requests did not take five connections to the upstream.
            assert len({seen[0] for seen in upstream.seen}) <= 2

            with client.stream("GET", "/events") as events:
                assert "content-encoding" not in events.headers
                chunks = events.iter_text()
                # The first event arrives while the upstream still holds the stream open.
                assert "data: first" in next(chunks)
                assert not upstream.release.is_set()
                upstream.release.set()
                assert "data: second" in "".join(chunks)

            _, version, headers = upstream.seen[-1]
            assert version == "HTTP/1.1"
            assert headers["Host"] == f"127.0.0.1:{nginx.https_port}"
            assert headers["X-Forwarded-Proto"] == "https"
            assert headers["X-Forwarded-For"] == "127.0.0.1"
            assert REQUEST_ID.match(headers["X-Request-ID"])
            assert headers.get("Connection") is None
    finally:
        upstream.release.set()
        upstream.shutdown()
        upstream.server_close()
        thread.join(timeout=5)
