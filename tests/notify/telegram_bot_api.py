#!/usr/bin/python3
"""A fake Telegram Bot API for kryptod's tests and benchmarks.

    telegram_bot_api.py --token TOKEN [--username NAME] [--port N] [--log FILE]

Listens on 127.0.0.1 (port 0: any free port) and prints `READY <port>`.
Serves POST /bot<TOKEN>/<method> with JSON bodies, as the Bot API does:
getMe (the bot NAME), getUpdates (long polling: answers at once when an
update at or after `offset` is queued, otherwise waits up to `timeout`
seconds; updates before `offset` are confirmed and forgotten), sendMessage.
Any other token is answered 401. With --log, every accepted sendMessage
also appends `<time.monotonic()> <chat>` to FILE. It runs until killed (SIGTERM), also
once standard input is closed. Commands on standard input, one a line:

    update CHAT TEXT...   queue a text message from CHAT (private chat)
    ratelimit N SECONDS   answer the next N sendMessage 429, retry_after SECONDS
    block CHAT            answer sendMessage to CHAT 403 (bot blocked)
    gap MS                count sends to one chat closer than MS ms apart
    stats                 print `STATS {json}`: getUpdates calls, updates
                          queued, offsets asked, 429s sent, gap violations,
                          polls waiting now
    messages              print `MESSAGES <n>` then n JSON lines {"chat_id",
                          "text", "at"} (every accepted sendMessage, in
                          order; `at` in seconds of time.monotonic())
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self):
        self.lock = threading.Condition()
        self.updates = []  # (update_id, update) not yet confirmed
        self.next_update = 1
        self.messages = []
        self.rate_limit = 0
        self.retry_after = 1
        self.blocked = set()
        self.gap = 0.0
        self.last_send = {}  # chat -> monotonic time
        self.stats = {"get_updates": 0, "offsets": [], "rate_limited": 0,
                      "gap_violations": 0, "waiting": 0, "queued": 0}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--username", default="kryptod_test_bot")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log")
    args = parser.parse_args()
    st = State()
    log = open(args.log, "a", buffering=1) if args.log else None

    def get_updates(body):
        offset = int(body.get("offset", 0))
        timeout = min(float(body.get("timeout", 0)), 50.0)
        deadline = time.monotonic() + timeout
        with st.lock:
            st.stats["get_updates"] += 1
            st.stats["offsets"].append(offset)
            st.updates = [u for u in st.updates if u[0] >= offset]
            st.stats["waiting"] += 1
            try:
                while not st.updates:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    st.lock.wait(left)
                return {"ok": True, "result": [u[1] for u in st.updates[:100]]}
            finally:
                st.stats["waiting"] -= 1

    def send_message(body):
        chat = body.get("chat_id")
        text = body.get("text")
        if not isinstance(chat, int) or not isinstance(text, str) or not text:
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: chat_id and text are required"}
        if "parse_mode" in body:
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: kryptod sends plain text"}
        with st.lock:
            if st.rate_limit > 0:
                st.rate_limit -= 1
                st.stats["rate_limited"] += 1
                return 429, {"ok": False, "error_code": 429,
                             "description": "Too Many Requests: retry after %d" % st.retry_after,
                             "parameters": {"retry_after": st.retry_after}}
            if chat in st.blocked:
                return 403, {"ok": False, "error_code": 403,
                             "description": "Forbidden: bot was blocked by the user"}
            now = time.monotonic()
            last = st.last_send.get(chat)
            if last is not None and st.gap > 0 and now - last < st.gap:
                st.stats["gap_violations"] += 1
            st.last_send[chat] = now
            st.messages.append({"chat_id": chat, "text": text, "at": now})
            if log:
                log.write("%.6f %d\n" % (now, chat))
            return 200, {"ok": True, "result": {"message_id": len(st.messages),
                                                "chat": {"id": chat, "type": "private"},
                                                "date": int(time.time()), "text": text}}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = None
            prefix = "/bot" + args.token + "/"
            if not self.path.startswith(prefix):
                return self.answer(401, {"ok": False, "error_code": 401,
                                         "description": "Unauthorized"})
            if not isinstance(body, dict):
                return self.answer(400, {"ok": False, "error_code": 400,
                                         "description": "Bad Request: not JSON"})
            method = self.path[len(prefix):]
            if method == "getMe":
                return self.answer(200, {"ok": True, "result": {
                    "id": 4242, "is_bot": True, "first_name": "kryptod",
                    "username": args.username}})
            if method == "getUpdates":
                return self.answer(200, get_updates(body))
            if method == "sendMessage":
                return self.answer(*send_message(body))
            return self.answer(404, {"ok": False, "error_code": 404,
                                     "description": "Not Found: method not found"})

        def answer(self, status, obj):
            data = json.dumps(obj).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *a):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    server = Server(("127.0.0.1", args.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("READY %d" % server.server_address[1], flush=True)

    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd = words[0]
        with st.lock:
            if cmd == "update":
                chat = int(words[1])
                text = line.split(None, 2)[2].rstrip("\n") if len(words) > 2 else ""
                uid = st.next_update
                st.next_update += 1
                st.updates.append((uid, {"update_id": uid, "message": {
                    "message_id": uid, "date": int(time.time()),
                    "chat": {"id": chat, "type": "private"},
                    "from": {"id": chat, "is_bot": False, "first_name": "t"},
                    "text": text}}))
                st.stats["queued"] += 1
                st.lock.notify_all()
                print("UPDATE %d" % uid, flush=True)
            elif cmd == "ratelimit":
                st.rate_limit = int(words[1])
                st.retry_after = int(words[2])
                print("OK", flush=True)
            elif cmd == "block":
                st.blocked.add(int(words[1]))
                print("OK", flush=True)
            elif cmd == "gap":
                st.gap = int(words[1]) / 1000.0
                print("OK", flush=True)
            elif cmd == "stats":
                print("STATS " + json.dumps(st.stats), flush=True)
            elif cmd == "messages":
                out = ["MESSAGES %d" % len(st.messages)]
                out += [json.dumps(m) for m in st.messages]
                print("\n".join(out), flush=True)
    # Without commands (standard input closed) it serves until killed.
    threading.Event().wait()


if __name__ == "__main__":
    main()
