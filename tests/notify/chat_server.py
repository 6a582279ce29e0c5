#!/usr/bin/python3
"""A fake Discord, Slack or ntfy receiver for kryptod's chat channel tests
and benchmark.

    chat_server.py --dir DIR [--port N] [--no-store]

Listens on 127.0.0.1 (port 0: any free port), prints `READY <port>`, and
for every POST writes DIR/<seq>.json: {"path", "headers" (name lower-cased
-> value), "body", "status", "time" (Unix seconds, float)}, written to a
temporary name and renamed. --no-store keeps nothing: the benchmark reads
the acceptance time from its own side.

The answer is 204 for a path under /discord/, 200 ("ok") otherwise, unless
DIR/statuses holds a space-separated list of `<code>` or
`<code>:<retry_after>`: each request takes the first one off the list. A
`:<retry_after>` sends `Retry-After: <retry_after>`; under /discord/ a 429
also carries Discord's JSON body {"message": "You are being rate limited.",
"retry_after": <retry_after>, "global": false}, and under /slack/ a 4xx
carries a Slack error code ("no_service").
"""
import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-store", action="store_true")
    args = parser.parse_args()
    state = {"seq": 0}
    lock = threading.Lock()

    def next_status(default):
        path = os.path.join(args.dir, "statuses")
        try:
            with open(path) as f:
                codes = f.read().split()
        except FileNotFoundError:
            return default, None
        if not codes:
            return default, None
        with open(path + ".tmp", "w") as f:
            f.write(" ".join(codes[1:]))
        os.rename(path + ".tmp", path)
        code, _, after = codes[0].partition(":")
        return int(code), (after or None)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The head and the body go out in two writes: without TCP_NODELAY
        # the second waits for the client's delayed ACK (40 ms), a cost of
        # this fake, not of the services it stands for.
        disable_nagle_algorithm = True

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            discord = self.path.startswith("/discord/")
            slack = self.path.startswith("/slack/")
            with lock:
                status, after = next_status(204 if discord else 200)
                state["seq"] += 1
                seq = state["seq"]
            answer = b""
            if discord and status == 429:
                answer = json.dumps({"message": "You are being rate limited.",
                                     "retry_after": float(after or 1),
                                     "global": False}).encode()
            elif discord and 400 <= status < 500:
                answer = json.dumps({"message": "Unknown Webhook", "code": 10015}).encode()
            elif slack and 400 <= status < 500 and status != 429:
                answer = b"no_service"
            elif status == 200:
                answer = b"ok"
            if not args.no_store:
                record = {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode("utf-8", "replace"),
                    "status": status,
                    "time": time.time(),
                }
                name = os.path.join(args.dir, "%08d.json" % seq)
                with open(name + ".tmp", "w") as f:
                    json.dump(record, f)
                os.rename(name + ".tmp", name)
            self.send_response(status)
            if after is not None:
                self.send_header("Retry-After", after)
            self.send_header("Content-Length", str(len(answer)))
            if answer:
                self.send_header("Content-Type", "application/json" if discord else "text/plain")
            self.end_headers()
            if answer and status != 204:
                self.wfile.write(answer)

        def log_message(self, *unused):
            pass

    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("READY %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
