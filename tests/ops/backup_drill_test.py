"""tests/ops/backup_drill_test.py KRYPTOD: the backup and restore drill of
docs/operations.md, with the real binary.

A daemon runs and takes writes; `kryptod backup FILE` copies its database
while it runs; a write after the copy is not in it; the daemon stops; the
copy and the token key are put in a fresh data directory, as a restore on a
new machine would; a daemon started on them serves what was there at the
copy: the users (who can log in), the alert, and an access token issued
before the backup.
"""

import os
import shutil
import subprocess
import sys
import tempfile

from kryptod_process import Kryptod

binary = sys.argv[1]


def expect(status, want, what, body):
    assert status == want, f"{what}: HTTP {status}, expected {want}: {body}"


with tempfile.TemporaryDirectory() as root:
    live = os.path.join(root, "live")
    restored = os.path.join(root, "restored")
    backup = os.path.join(root, "backups", "kryptod-copy.db")
    os.makedirs(live)
    os.makedirs(os.path.dirname(backup))

    # The first admin, before the daemon ever ran.
    add = subprocess.run(
        [binary, "user", "add", "admin@example.com", "--admin",
         f"--storage.path={os.path.join(live, 'kryptod.db')}"],
        input="admin-password-1\n", text=True, capture_output=True, timeout=60)
    assert add.returncode == 0, f"user add failed: {add.stderr}"

    daemon = Kryptod(binary, live)
    try:
        status, body = daemon.request("POST", "/api/auth/register",
                                      {"email": "carol@example.com", "password": "carol-password-1"})
        expect(status, 201, "register", body)
        status, tokens = daemon.request("POST", "/api/auth/login",
                                        {"email": "admin@example.com", "password": "admin-password-1"})
        expect(status, 200, "login", tokens)
        token = tokens["access"]
        status, body = daemon.request("POST", "/api/alerts", {
            "symbol": "BTCUSDT", "target_price": "100000", "direction": "above",
            "name": "before the backup"}, token)
        expect(status, 201, "create an alert", body)

        copy = subprocess.run(
            [binary, "backup", backup, f"--storage.path={os.path.join(live, 'kryptod.db')}"],
            capture_output=True, text=True, timeout=120)
        assert copy.returncode == 0, f"kryptod backup failed: {copy.stdout}{copy.stderr}"
        assert os.path.getsize(backup) > 0, "the backup is empty"

        status, body = daemon.request("POST", "/api/alerts", {
            "symbol": "ETHUSDT", "target_price": "5000", "direction": "above",
            "name": "after the backup"}, token)
        expect(status, 201, "create an alert after the backup", body)
    finally:
        code = daemon.stop()
    assert code == 0, f"the daemon stopped with {code}:\n{daemon.output()}"

    # Restore: the copy becomes the database, next to the same token key.
    os.makedirs(restored)
    shutil.copy2(backup, os.path.join(restored, "kryptod.db"))
    shutil.copy2(os.path.join(live, "auth.secret"), os.path.join(restored, "auth.secret"))
    os.chmod(os.path.join(restored, "auth.secret"), 0o600)

    daemon = Kryptod(binary, restored)
    try:
        status, body = daemon.request("GET", "/api/alerts", token=token)
        expect(status, 200, "the alert list with a token from before the backup", body)
        names = [a["name"] for a in body["items"]]
        assert names == ["before the backup"], f"restored alerts: {names}"
        status, body = daemon.request("POST", "/api/auth/login",
                                      {"email": "carol@example.com", "password": "carol-password-1"})
        expect(status, 200, "carol's login on the restored copy", body)
        status, body = daemon.request("GET", "/api/users", token=token)
        expect(status, 200, "the user list", body)
        emails = sorted(u["email"] for u in body["items"])
        assert emails == ["admin@example.com", "carol@example.com"], f"restored users: {emails}"
    finally:
        code = daemon.stop()
    assert code == 0, f"the restored daemon stopped with {code}:\n{daemon.output()}"
print("backup taken while running, restored, and served")
