"""A local web app with known weaknesses for the security scanner, over HTTP and HTTPS (a
self-signed certificate), and one hardened page that should raise nothing."""

import datetime
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

WEAK_PAGE = b"""<!doctype html><html><head><title>Shop</title>
<script src="http://cdn.weak.test/jquery.js"></script></head><body>
<form method="post" action="/transfer"><input name="amount"><input type="hidden" name="to" value="1"></form>
<form method="get" action="/search"><input name="q"></form></body></html>"""
SAFE_PAGE = b"""<!doctype html><html><head><title>Safe</title><script src="/app.js"></script></head><body>
<form method="post" action="/transfer"><input type="hidden" name="csrf_token" value="abc"></form></body></html>"""
SAFE_HEADERS = {
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff", "referrer-policy": "no-referrer",
    "strict-transport-security": "max-age=31536000",
    "set-cookie": "sid=1; Path=/; HttpOnly; Secure; SameSite=Lax",
}


class Handler(BaseHTTPRequestHandler):
    def version_string(self) -> str:
        return "hardened" if self.path.startswith("/safe") else "Apache/2.4.1 (Unix)"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        if parts.path.startswith("/safe"):
            self._page(SAFE_PAGE, SAFE_HEADERS)
            return
        target = parse_qs(parts.query).get("next")
        if target:  # the open redirect
            self.send_response(302)
            self.send_header("location", target[0])
            self.end_headers()
            return
        self._page(WEAK_PAGE, {"x-powered-by": "PHP/5.6.40", "set-cookie": "session=abc123; Path=/"})

    def _page(self, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _self_signed(folder: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "weak.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


class WeakApp:
    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory()
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.https = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.https.socket = _self_signed(Path(self._folder.name)).wrap_socket(self.https.socket, server_side=True)
        for server in (self.http, self.https):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    @property
    def secure_url(self) -> str:
        return f"https://127.0.0.1:{self.https.server_address[1]}"

    def close(self) -> None:
        for server in (self.http, self.https):
            server.shutdown()
        self._folder.cleanup()
