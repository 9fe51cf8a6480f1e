"""Local HTTP(S) servers for the fetcher tests.

``local_server(host="127.0.0.1", tls=None)`` starts a threaded http.server on a
free port of ``host``. Routes are plain functions ``route(handler)`` registered
in ``server.routes[path]`` (``h.respond``, ``h.redirect``, ``h.start_chunked``,
``h.send_chunk``, ``h.end_chunked`` help); every request received is recorded in
``server.requests`` as ``(path, host_header)`` so tests can assert that a
refused fetch never reached the server. Slow routes loop on
``server.stop.wait(...)`` so teardown ends them quickly.
"""

from __future__ import annotations

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - silence stderr
        pass

    def do_GET(self):  # noqa: N802 - http.server naming
        server: LocalServer = self.server  # type: ignore[assignment]
        path = self.path.split("?", 1)[0]
        with server.lock:
            server.requests.append((self.path, self.headers.get("Host")))
        self.close_connection = True
        route = server.routes.get(path)
        if route is None:
            self.respond(404, b"not found")
            return
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the client hung up, which many tests make it do

    # Helpers for routes: route(h) calls h.respond(...), h.redirect(...)...
    def respond(self, status: int = 200, body: bytes = b"", headers: dict | None = None) -> None:
        """Send a complete response with a Content-Length."""
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def start_chunked(self, status: int = 200, headers: dict | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()

    def send_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def redirect(self, location: str, status: int = 302) -> None:
        self.respond(status, b"", {"Location": location})


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, host: str, tls: ssl.SSLContext | None = None):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, 0), _Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.host = host
        self.port = self.server_address[1]
        self.routes: dict = {}
        self.requests: list[tuple[str, str | None]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    def handle_error(self, request, client_address):
        pass  # aborted TLS handshakes and hung-up clients are expected

    @property
    def netloc(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def url(self, path: str = "/", scheme: str = "http") -> str:
        return f"{scheme}://{self.netloc}{path}"

    def paths(self) -> list[str]:
        with self.lock:
            return [p for p, _ in self.requests]


@pytest.fixture
def local_server():
    servers: list[LocalServer] = []

    def make(host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> LocalServer:
        server = LocalServer(host, tls)
        server.thread.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def server(local_server) -> LocalServer:
    """One plain HTTP server on 127.0.0.1."""
    return local_server()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CertAuthority:
    """A throwaway CA: ``client_context()`` trusts it, ``server_context(name)``
    serves a certificate for ``name`` signed by it and records the SNI names
    clients send in ``sni_seen``."""

    def __init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self._x509, self._hashes, self._ec, self._oid = x509, hashes, ec, NameOID
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Reelbase test CA")])
        self.cert = (
            self._builder(name, self.key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.sni_seen: list[str | None] = []

    def _builder(self, subject, public_key):
        import datetime

        now = datetime.datetime.now(datetime.timezone.utc)
        return (
            self._x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.cert.subject if hasattr(self, "cert") else subject)
            .public_key(public_key)
            .serial_number(self._x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
        )

    def _pem(self, obj) -> bytes:
        from cryptography.hazmat.primitives import serialization

        if hasattr(obj, "private_bytes"):
            return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
        return obj.public_bytes(serialization.Encoding.PEM)

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self._pem(self.cert).decode())

    def server_context(self, dns_name: str, tmp_path) -> ssl.SSLContext:
        x509 = self._x509
        key = self._ec.generate_private_key(self._ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(self._oid.COMMON_NAME, dns_name)])
        cert = (
            self._builder(subject, key.public_key())
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
            .sign(self.key, self._hashes.SHA256())
        )
        cert_file = tmp_path / f"{dns_name}.pem"
        key_file = tmp_path / f"{dns_name}.key"
        cert_file.write_bytes(self._pem(cert))
        key_file.write_bytes(self._pem(key))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        context.sni_callback = lambda sock, name, ctx: self.sni_seen.append(name)
        return context


@pytest.fixture
def cert_authority() -> CertAuthority:
    pytest.importorskip("cryptography")
    return CertAuthority()
