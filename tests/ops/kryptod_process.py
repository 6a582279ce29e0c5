"""The real kryptod binary as an operator runs it, for the operations tests.

`Kryptod(binary, data_dir)` starts the daemon on a free 127.0.0.1 port with
its database and token key in data_dir, the exchange pointed at a closed
local port (so it serves with the feed down, as on a machine without
internet), and waits until /healthz answers. `stop()` sends SIGTERM and
returns the exit status. Only processes started here are ever signalled.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Kryptod:
    def __init__(self, binary, data_dir, *extra):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(data_dir, "kryptod.log")
        self.log = open(self.log_path, "wb")
        closed = free_port()
        self.proc = subprocess.Popen(
            [binary,
             f"--storage.path={os.path.join(data_dir, 'kryptod.db')}",
             f"--auth.secret_file={os.path.join(data_dir, 'auth.secret')}",
             f"--http.listen=127.0.0.1:{self.port}",
             f"--feed.url=ws://127.0.0.1:{closed}/stream",
             f"--feed.rest_url=http://127.0.0.1:{closed}",
             *extra],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"kryptod exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"kryptod did not answer /healthz in 60 s:\n{self.output()}")
            time.sleep(0.05)

    def request(self, method, path, body=None, token=None):
        """(status, parsed JSON or text) of one request."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token is not None:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                status, raw, kind = res.status, res.read(), res.headers.get_content_type()
        except urllib.error.HTTPError as e:
            status, raw, kind = e.code, e.read(), e.headers.get_content_type()
        text = raw.decode()
        return status, (json.loads(text) if kind.endswith("json") and text else text)

    def output(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode
