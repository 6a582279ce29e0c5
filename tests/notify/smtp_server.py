#!/usr/bin/python3
"""A real SMTP server (aiosmtpd) for kryptod's notify tests and benchmark.

Run with Debian's /usr/bin/python3 (python3-aiosmtpd):

    smtp_server.py --dir DIR [--port N] [--starttls CERT KEY] [--no-store]
                   [--hold-message K [--hold-seconds S]]

It listens on 127.0.0.1 (port 0: any free port), prints `READY <port>` on
stdout once it accepts connections, and writes:

- DIR/<seq>.json for every accepted message: {"mail_from", "rcpt_tos",
  "data"}, written to a temporary name and renamed, so a reader never sees
  half a message (--no-store keeps nothing, for benchmarks);
- DIR/commands.log: one line per connection (`CONNECT`) and per command the
  client got to (`EHLO`, `STARTTLS`, `MAIL`, `RCPT`, `DATA`), so a test can
  tell that nothing reached DATA (with --no-store, connections only).

Failures on demand:
- a recipient whose local part starts with `bounce` gets `550` at RCPT, one
  starting with `tempfail` gets `451` at RCPT;
- a file DIR/mode holding `<code> <count>` (code 451 or 550; count -1 for
  ever) makes the next <count> messages end with that code after DATA. The
  server reads and deletes the file at the next MAIL command.

A crash window on demand: with --hold-message K, the K-th message (counting
every message that reached the end of DATA, from 1) is stored as usual, then
the server prints `HELD <seq>` on stdout and keeps the client waiting for its
`250` for S seconds (default 60): a client killed meanwhile has had its
message accepted without ever learning it.
"""
import argparse
import asyncio
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP


class Recorder:
    def __init__(self, directory, store, hold_message=0, hold_seconds=60.0):
        self.directory = directory
        self.store = store
        self.hold_message = hold_message
        self.hold_seconds = hold_seconds
        self.seq = 0
        self.fail_code = None
        self.fail_count = 0
        self.log = open(os.path.join(directory, "commands.log"), "a", buffering=1)

    def note(self, what):
        # Without storage (benchmarks) only connections are logged: the
        # per-command writes would cost more than the SMTP work measured.
        if self.store or what == "CONNECT":
            self.log.write(what + "\n")

    def load_mode(self):
        path = os.path.join(self.directory, "mode")
        try:
            with open(path) as f:
                text = f.read().split()
            os.unlink(path)
        except FileNotFoundError:
            return
        code, count = int(text[0]), int(text[1])
        self.fail_code = code if code in (451, 550) else None
        self.fail_count = count

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.note("EHLO")
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, options):
        self.note("MAIL")
        self.load_mode()
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        self.note("RCPT")
        local = address.split("@", 1)[0].lower()
        if local.startswith("bounce"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("tempfail"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.note("DATA")
        if self.fail_code is not None and self.fail_count != 0:
            if self.fail_count > 0:
                self.fail_count -= 1
            if self.fail_code == 451:
                return "451 4.3.0 temporary failure, try again"
            return "550 5.7.1 message refused"
        self.seq += 1
        if self.store:
            record = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "data": envelope.content.decode("utf-8", "replace"),
            }
            name = os.path.join(self.directory, "%08d.json" % self.seq)
            with open(name + ".tmp", "w") as f:
                json.dump(record, f)
            os.rename(name + ".tmp", name)
        if self.seq == self.hold_message:
            print("HELD %d" % self.seq, flush=True)
            await asyncio.sleep(self.hold_seconds)
        return "250 OK queued"


class CountingSMTP(SMTP):
    def __init__(self, recorder, *args, **kwargs):
        super().__init__(recorder, *args, **kwargs)
        self.recorder = recorder

    def connection_made(self, transport):
        self.recorder.note("CONNECT")
        super().connection_made(transport)

    async def smtp_STARTTLS(self, arg):
        self.recorder.note("STARTTLS")
        return await super().smtp_STARTTLS(arg)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--no-store", action="store_true")
    parser.add_argument("--hold-message", type=int, default=0, metavar="K")
    parser.add_argument("--hold-seconds", type=float, default=60.0, metavar="S")
    args = parser.parse_args()

    recorder = Recorder(args.dir, not args.no_store, args.hold_message, args.hold_seconds)
    tls = None
    if args.starttls:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.starttls[0], args.starttls[1])

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: CountingSMTP(recorder, tls_context=tls, hostname="kryptod-test",
                             enable_SMTPUTF8=True),
        host="127.0.0.1", port=args.port, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    print("READY %d" % port, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
