"""Two public practice APIs as QA teams know them, served on 127.0.0.1 by the tests, with their
quirks: a restful-booker-like hotel API (token by POST /auth, a `Cookie: token=...` on writes,
201 for a deletion) and a RealWorld "Conduit"-like blog API (`Authorization: Token ...`).
`broken = True` makes single-booking and article reads answer 404, as a bad deploy would."""

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.serving import LocalServer, serve_from_command_line

TOKEN = "abc123"
JWT = "jwt.conduit.token"


class BookingApp(LocalServer):
    def __init__(self) -> None:
        self.bookings: dict[int, dict[str, Any]] = {1: {"firstname": "Sally", "lastname": "Brown", "totalprice": 111,
                                                        "depositpaid": True, "bookingdates": {"checkin": "2026-01-01",
                                                                                              "checkout": "2026-01-02"}}}
        self.articles: dict[str, dict[str, Any]] = {}
        self.broken = False
        self.seen: list[tuple[str, str, dict[str, str], str]] = []  # method, path, headers, body
        app = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, status: int, body: Any = None) -> None:
                data = b"" if body is None else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
                self.send_response(status)
                self.send_header("content-type", "text/plain" if isinstance(body, str) else "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _read(self) -> Any:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
                app.seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, raw))
                try:
                    return json.loads(raw) if raw else None
                except ValueError:
                    return None

            def _booker_writer(self) -> bool:
                return f"token={TOKEN}" in (self.headers.get("cookie") or "")

            def _route(self) -> None:
                body, path = self._read(), self.path.split("?")[0]
                parts = [p for p in path.split("/") if p]
                if path == "/ping":
                    return self._answer(201, "Created")
                if path == "/auth" and self.command == "POST":
                    ok = (body or {}).get("username") == "admin" and (body or {}).get("password") == "password123"
                    return self._answer(200, {"token": TOKEN} if ok else {"reason": "Bad credentials"})
                if parts[:1] == ["booking"]:
                    return self._booking(parts, body)
                if parts[:2] == ["api", "users"] and parts[2:] == ["login"]:
                    user = (body or {}).get("user") or {}
                    if user.get("password") != "secret":
                        return self._answer(422, {"errors": {"email or password": ["is invalid"]}})
                    return self._answer(200, {"user": {"email": user.get("email"), "token": JWT, "username": "jake",
                                                       "bio": None, "image": None}})
                if parts[:2] == ["api", "user"]:
                    if self.headers.get("authorization") != f"Token {JWT}":
                        return self._answer(401, {"errors": {"token": ["is missing"]}})
                    return self._answer(200, {"user": {"email": "jake@jake.jake", "token": JWT, "username": "jake"}})
                if parts[:2] == ["api", "articles"]:
                    return self._article(parts[2:], body)
                return self._answer(404, "Not Found")

            def _booking(self, parts: list[str], body: Any) -> None:
                if len(parts) == 1 and self.command == "GET":
                    return self._answer(200, [{"bookingid": i} for i in app.bookings])
                if len(parts) == 1 and self.command == "POST":
                    booking_id = max(app.bookings, default=0) + 1
                    app.bookings[booking_id] = body or {}
                    return self._answer(200, {"bookingid": booking_id, "booking": body})
                try:
                    booking_id = int(parts[1])
                except ValueError:
                    return self._answer(404, "Not Found")
                if booking_id not in app.bookings or (app.broken and self.command == "GET"):
                    return self._answer(404, "Not Found")
                if self.command == "GET":
                    return self._answer(200, app.bookings[booking_id])
                if not self._booker_writer():
                    return self._answer(403, "Forbidden")
                if self.command == "PUT":
                    app.bookings[booking_id] = body or {}
                elif self.command == "PATCH":
                    app.bookings[booking_id].update(body or {})
                elif self.command == "DELETE":
                    del app.bookings[booking_id]
                    return self._answer(201, "Created")
                return self._answer(200, app.bookings[booking_id])

            def _article(self, rest: list[str], body: Any) -> None:
                if not rest and self.command == "GET":
                    items = list(app.articles.values())
                    return self._answer(200, {"articles": items, "articlesCount": len(items)})
                if not rest and self.command == "POST":
                    if self.headers.get("authorization") != f"Token {JWT}":
                        return self._answer(401, {"errors": {"token": ["is missing"]}})
                    article = dict((body or {}).get("article") or {})
                    article["slug"] = str(article.get("title", "untitled")).lower().replace(" ", "-")
                    article["author"] = {"username": "jake"}
                    app.articles[article["slug"]] = article
                    return self._answer(200, {"article": article})
                article = app.articles.get(rest[0])
                if article is None or app.broken:
                    return self._answer(404, {"errors": {"article": ["not found"]}})
                return self._answer(200, {"article": article})

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _route  # noqa: N815

        self._serve(Handler)


def postman_environment(url: str) -> str:
    """restful-booker's environment export (tests/fixtures/collections) pointing at `url`."""
    from pathlib import Path

    exported = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "collections" /
                           "restful-booker.postman_environment.json").read_text())
    for value in exported["values"]:
        if value["key"] == "baseURL":
            value["value"] = url
    return json.dumps(exported, indent=2)


if __name__ == "__main__":
    serve_from_command_line(BookingApp(), "A practice hotel API as restful-booker (and a Conduit-like blog API)",
                            {"postman-env": postman_environment})
