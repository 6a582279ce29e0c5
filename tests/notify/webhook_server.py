#!/usr/bin/python3
"""A webhook receiver for kryptod's notify tests.

    webhook_server.py --dir DIR --secret SECRET [--port N]

Listens on 127.0.0.1 (port 0: any free port), prints `READY <port>`, and for
every POST writes DIR/<seq>.json: {"path", "delivery", "timestamp",
"signature", "signature_ok", "content_type", "body", "status"}, where
signature_ok is this script's own check of X-Kryptod-Signature
(sha256=hex(HMAC-SHA256(SECRET, "<timestamp>.<body>"))) and status is what
it answered. The answer is 200 unless DIR/statuses holds a space-separated
list of codes: each request takes the first one off the list.
"""
import argparse
import hashlib
import hmac
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    state = {"seq": 0}

    def next_status():
        path = os.path.join(args.dir, "statuses")
        try:
            with open(path) as f:
                codes = f.read().split()
        except FileNotFoundError:
            return 200
        if not codes:
            return 200
        with open(path + ".tmp", "w") as f:
            f.write(" ".join(codes[1:]))
        os.rename(path + ".tmp", path)
        return int(codes[0])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            timestamp = self.headers.get("X-Kryptod-Timestamp", "")
            signature = self.headers.get("X-Kryptod-Signature", "")
            expected = "sha256=" + hmac.new(args.secret.encode(),
                                            timestamp.encode() + b"." + body,
                                            hashlib.sha256).hexdigest()
            status = next_status()
            state["seq"] += 1
            record = {
                "path": self.path,
                "delivery": self.headers.get("X-Kryptod-Delivery", ""),
                "timestamp": timestamp,
                "signature": signature,
                "signature_ok": hmac.compare_digest(expected, signature),
                "content_type": self.headers.get("Content-Type", ""),
                "body": body.decode("utf-8", "replace"),
                "status": status,
            }
            name = os.path.join(args.dir, "%08d.json" % state["seq"])
            with open(name + ".tmp", "w") as f:
                json.dump(record, f)
            os.rename(name + ".tmp", name)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *unused):
            pass

    server = HTTPServer(("127.0.0.1", args.port), Handler)
    print("READY %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
