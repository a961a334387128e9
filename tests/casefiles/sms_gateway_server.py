"""A small SMS gateway on localhost for the tests: a real HTTP server in a thread that records what it was sent
and answers with the status the test sets. The HTTP backend talks to it over a socket, as to the operator's."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class GatewayServer:
    def __init__(self):
        self.received = []  # (path, headers, body as parsed JSON)
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                outer.received.append((self.path, dict(self.headers), json.loads(raw.decode("utf-8"))))
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if outer.status < 300 else b'{"error": "refused"}')

            def log_message(self, format, *args):  # the server's own access log is not the product's
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
