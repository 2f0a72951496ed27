"""A test's own HTTP server on 127.0.0.1, on a free port, in a daemon thread."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalServer:
    server: ThreadingHTTPServer
    url: str

    def _serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve_from_command_line(server: LocalServer, description: str, extra: dict[str, object] | None = None) -> None:
    """`python -m tests.support.<app> [--url-file F]`: serve until interrupted; the URL goes to F
    (for scripts: start it with `&`, then wait for F) or to the standard output. `extra`: files to
    write once the URL is known (name -> function of the URL returning the text)."""
    import argparse
    import sys
    import time
    from pathlib import Path

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url-file", type=Path, help="write the URL here (once the app answers)")
    for name in extra or {}:
        parser.add_argument(f"--{name}", type=Path, help=f"also write {name.replace('-', ' ')} here")
    args = parser.parse_args()
    for name, render in (extra or {}).items():
        target = getattr(args, name.replace("-", "_"))
        if target is not None:
            target.write_text(render(server.url))  # type: ignore[operator]
    if args.url_file:
        args.url_file.write_text(server.url + "\n")
    else:
        sys.stdout.write(server.url + "\n")
        sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.close()
