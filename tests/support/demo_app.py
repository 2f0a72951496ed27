"""A small web app and API of our own, served on 127.0.0.1 by the tests: a login form, a list, a
broken page, a flaky page, a redirect to a metadata address, a slow page, and an orders API."""

import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.support.serving import LocalServer

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "demo_app"


class DemoApp(LocalServer):
    def __init__(self) -> None:
        self.orders: dict[str, dict] = {}
        self.flaky_hits = 0
        app = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes, kind: str = "text/html", headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                if path == "/flaky-counter":
                    app.flaky_hits += 1
                    self._send(200, b"ready" if app.flaky_hits % 2 == 0 else b"not yet", "text/plain")
                elif path == "/redirect-metadata":
                    self._send(302, b"", headers={"location": "http://169.254.169.254/latest/meta-data/"})
                elif path == "/slow":
                    time.sleep(3)
                    self._send(200, b"<p>slow</p>")
                elif path == "/api/products":
                    self._send(200, json.dumps({"items": [{"name": "Lamp"}, {"name": "Desk"}]}).encode(), "application/json")
                elif path.startswith("/api/orders/"):
                    order = app.orders.get(path.rsplit("/", 1)[1])
                    self._send(200 if order else 404, json.dumps(order or {"error": "not found"}).encode(), "application/json")
                else:
                    page = PAGES / (path.strip("/").removesuffix(".html") + ".html")
                    if page.is_file():
                        self._send(200, page.read_bytes())
                    else:
                        self._send(404, b"<h1>Not found</h1>")

            def do_PUT(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                if self.path == "/api/invoices/raw" and self.headers.get("content-type") == "application/octet-stream" and raw:
                    self._send(201, json.dumps({"bytes": len(raw)}).encode(), "application/json")
                else:
                    self._send(400, b"{}", "application/json")

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                if self.path == "/api/invoices":  # a multipart upload: a form field and a file
                    kind = self.headers.get("content-type", "")
                    ok = kind.startswith("multipart/form-data") and b'name="order"' in raw and b"filename=" in raw
                    self._send(201 if ok else 400, json.dumps({"received": len(raw)}).encode(), "application/json")
                    return
                body = json.loads(raw or b"{}")
                if self.path == "/api/orders":
                    if "sku" not in body:
                        self._send(422, json.dumps({"error": "sku is required"}).encode(), "application/json")
                        return
                    order = {"id": f"o{len(app.orders) + 1}", "sku": body["sku"], "qty": body.get("qty", 1)}
                    app.orders[order["id"]] = order
                    self._send(201, json.dumps(order).encode(), "application/json")
                else:
                    self._send(404, b"{}", "application/json")

        self._serve(Handler)
