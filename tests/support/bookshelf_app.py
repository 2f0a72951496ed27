"""Bookshelf: a small library web app with real behaviour, for app-aware generation (explore,
ground, dry-run). Server-rendered HTML with labelled forms: sign in with a demo account, a
case-insensitive catalogue search, a contact form with validation, loans behind the sign-in, and a
"Delete my account" link that exploration must not follow. `broken` switches one behaviour off
(`search-case`: the search becomes case-sensitive), so the cases that check it fail.

    python -m tests.support.bookshelf_app [--url-file F]   # serves on a free port of 127.0.0.1, prints the URL
"""

import html
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.support.serving import LocalServer, serve_from_command_line

BOOKS = [("Dune", "Frank Herbert"), ("Emma", "Jane Austen"), ("Neuromancer", "William Gibson"),
         ("The Hobbit", "J. R. R. Tolkien")]
ACCOUNT = ("reader@example.com", "correct horse")


def _page(title: str, body: str) -> bytes:
    nav = ('<nav><a href="/">Home</a> <a href="/search">Catalogue</a> <a href="/signin">Sign in</a> '
           '<a href="/contact">Contact</a> <a href="/account/delete">Delete my account</a></nav>')
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)} · Bookshelf</title>"
            f"</head><body>{nav}<main><h1>{html.escape(title)}</h1>{body}</main></body></html>").encode()


class BookshelfApp(LocalServer):
    def __init__(self, broken: str | None = None) -> None:
        self.broken = broken
        self.deleted = 0  # times the destructive link was followed
        self._serve(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        app = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _form(self) -> dict[str, str]:
                length = int(self.headers.get("content-length") or 0)
                data = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
                return {k: v[0] for k, v in data.items()}

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                routes = {"/": self._home, "/search": lambda: self._search(query.get("q", "")),
                          "/signin": lambda: self._send(200, _signin()), "/contact": lambda: self._send(200, _contact()),
                          "/loans": self._loans, "/forgot": lambda: self._send(200, _page("Reset your password", "<p>Soon.</p>")),
                          "/account/delete": self._delete}
                route = routes.get(parts.path)
                if route is None:
                    self._send(404, _page("Not found", "<p>No such page.</p>"))
                else:
                    route()

            def do_POST(self) -> None:  # noqa: N802
                form = self._form()
                if self.path == "/signin":
                    if (form.get("email"), form.get("password")) == ACCOUNT:
                        self._send(303, b"", {"location": "/loans", "set-cookie": "session=reader; Path=/; HttpOnly"})
                    else:
                        self._send(200, _signin(error="Email or password is wrong", email=form.get("email", "")))
                elif self.path == "/contact":
                    errors = []
                    if not form.get("email", "").strip():
                        errors.append("Email is required")
                    if not 10 <= len(form.get("message", "").strip()) <= 500:
                        errors.append("The message must be between 10 and 500 characters")
                    if errors:
                        self._send(200, _contact(errors=errors))
                    else:
                        self._send(200, _page("Contact the library", "<p role=status>Thanks, we will reply within 2 days</p>"))
                else:
                    self._send(404, _page("Not found", ""))

            def _home(self) -> None:
                self._send(200, _page("Bookshelf", "<p>Borrow books from the city library.</p>"
                                      '<p><a href="/search">Browse the catalogue</a></p>'))

            def _search(self, q: str) -> None:
                q = q.strip()
                if app.broken == "search-case":
                    found = [b for b in BOOKS if q and q in b[0]]
                else:
                    found = [b for b in BOOKS if q and q.lower() in b[0].lower()]
                results = ""
                if q:
                    results = ("<ul>" + "".join(f"<li>{html.escape(t)} by {html.escape(a)}</li>" for t, a in found) + "</ul>"
                               if found else f"<p>No books match “{html.escape(q)}”</p>")
                self._send(200, _page("Search the catalogue", '<form method=get action="/search">'
                                      '<label for=q>Title</label> <input id=q name=q type=search '
                                      f'placeholder="e.g. Dune" value="{html.escape(q)}"> '
                                      f"<button type=submit>Search</button></form>{results}"))

            def _loans(self) -> None:
                if "session=reader" not in (self.headers.get("cookie") or ""):
                    self._send(303, b"", {"location": "/signin"})
                else:
                    self._send(200, _page("My loans", "<ul><li>Emma, due 12 January</li></ul>"))

            def _delete(self) -> None:
                app.deleted += 1
                self._send(200, _page("Account deleted", "<p>Your account was deleted.</p>"))

        return Handler


def _signin(error: str | None = None, email: str = "") -> bytes:
    alert = f"<p role=alert>{html.escape(error)}</p>" if error else ""
    return _page("Sign in", f'{alert}<form method=post action="/signin">'
                 f'<label for=email>Email</label> <input id=email name=email type=email required value="{html.escape(email)}">'
                 '<label for=password>Password</label> <input id=password name=password type=password required>'
                 '<button type=submit>Sign in</button></form><p><a href="/forgot">Forgot password?</a></p>')


def _contact(errors: list[str] | None = None) -> bytes:
    alerts = "".join(f"<p role=alert>{html.escape(e)}</p>" for e in errors or [])
    return _page("Contact the library", f'{alerts}<form method=post action="/contact">'
                 '<label for=email>Email</label> <input id=email name=email type=email>'
                 '<label for=message>Message</label> <textarea id=message name=message></textarea>'
                 "<button type=submit>Send</button></form>")


if __name__ == "__main__":
    serve_from_command_line(BookshelfApp(), "Bookshelf, a small library web app to test (sign in, search, contact)")
