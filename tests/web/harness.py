#!/usr/bin/python3
"""The web app's browser-test harness: the real kryptod (KRYPTOD_BIN) serving
the checkout's web/ folder, fed by the Binance test server
(KRYPTOD_TEST_SERVER), mailing through the aiosmtpd test server
(tests/notify/smtp_server.py), driven by Debian's headless chromium through
chromedriver and python3-selenium.

Everything binds 127.0.0.1 on free ports, every wait is bounded, and only
the processes started here are stopped. Every page the browser shows has its
console checked: a JavaScript error, a console.error or a Content Security
Policy violation fails the test (`browser.check_console()`).

Run with Debian's /usr/bin/python3.
"""
import email
import email.policy
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

SOURCE = os.environ.get("KRYPTOD_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin password 1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(ok, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = ok()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


BOT_TOKEN = "123456:test-token-for-the-web-flows"


class Stack:
    """kryptod + test exchange + SMTP server in a temporary directory."""

    def __init__(self, coins=("BTCUSDT", "ETHUSDT")):
        self.dir = tempfile.mkdtemp(prefix="kryptod-web-")
        self.procs = []
        self.exchange = self._start([os.environ["KRYPTOD_TEST_SERVER"]], stdin=subprocess.PIPE)
        line = self.exchange.stdout.readline().decode()
        assert line.startswith("PORT "), f"test exchange did not start: {line!r}"
        feed_port = line.split()[1]
        self.mail_dir = os.path.join(self.dir, "mail")
        os.mkdir(self.mail_dir)
        smtp = self._start(["/usr/bin/python3", os.path.join(SOURCE, "tests/notify/smtp_server.py"),
                            "--dir", self.mail_dir])
        line = smtp.stdout.readline().decode()
        assert line.startswith("READY "), f"SMTP server did not start: {line!r}"
        smtp_port = line.split()[1]
        # A fake Telegram Bot API, so that the settings page can link a chat.
        token_file = os.path.join(self.dir, "bot.token")
        with open(token_file, "w") as f:
            f.write(BOT_TOKEN + "\n")
        bot = self._start(["/usr/bin/python3", os.path.join(SOURCE, "tests/notify/telegram_bot_api.py"),
                           "--token", BOT_TOKEN], stdin=subprocess.PIPE)
        line = bot.stdout.readline().decode()
        assert line.startswith("READY "), f"fake Bot API did not start: {line!r}"
        bot_port = line.split()[1]
        self.db = os.path.join(self.dir, "kryptod.db")
        self.kryptod = os.environ["KRYPTOD_BIN"]
        add = subprocess.run([self.kryptod, "user", "add", ADMIN_EMAIL, "--admin", f"--storage.path={self.db}"],
                             input=(ADMIN_PASSWORD + "\n").encode(), capture_output=True, timeout=60)
        assert add.returncode == 0, add.stderr.decode()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = os.path.join(self.dir, "kryptod.log")
        args = [self.kryptod, f"--http.listen=127.0.0.1:{self.port}", f"--storage.path={self.db}",
                f"--auth.secret_file={os.path.join(self.dir, 'secret')}",
                f"--feed.url=ws://127.0.0.1:{feed_port}/stream", f"--feed.rest_url=http://127.0.0.1:{feed_port}",
                f"--feed.coins={' '.join(coins)}", f"--smtp.url=smtp://127.0.0.1:{smtp_port}", "--smtp.tls=off",
                "--smtp.from=alerts@kryptod.test", f"--http.web_root={os.path.join(SOURCE, 'web')}",
                f"--http.public_url={self.base}", "--auth.rate_limit=1000",
                f"--telegram.bot_token_file={token_file}",
                f"--telegram.api_url=http://127.0.0.1:{bot_port}"]
        with open(self.log, "wb") as log:
            self.daemon = self._start(args, stdout=log, stderr=subprocess.STDOUT)
        eventually(lambda: self.status("/readyz") == 200, 20, "kryptod to be ready")

    def _start(self, args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=None):
        p = subprocess.Popen(args, stdin=stdin, stdout=stdout, stderr=stderr, cwd=self.dir)
        self.procs.append(p)
        return p

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def daemon_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    # --- the exchange -----------------------------------------------------
    def trade(self, symbol, price, time_ms=None):
        line = f"trade {symbol} {price}" + (f" {time_ms}" if time_ms else "") + "\n"
        self.exchange.stdin.write(line.encode())
        self.exchange.stdin.flush()

    def history(self, symbol, prices, step_ms=60_000):
        """Trades one minute apart ending now, so the chart has candles."""
        now = int(time.time() * 1000)
        for i, p in enumerate(prices):
            self.trade(symbol, p, now - (len(prices) - i) * step_ms)

    # --- the API, for set-up and checks -----------------------------------
    def call(self, method, path, body=None, token=None, headers=None):
        req = urllib.request.Request(self.base + path, method=method)
        if body is not None:
            req.data = json.dumps(body).encode()
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                data = res.read()
                return res.status, (json.loads(data) if data and "json" in res.headers.get("Content-Type", "") else data)
        except urllib.error.HTTPError as e:
            data = e.read()
            return e.code, (json.loads(data) if data.startswith(b"{") else data)

    def status(self, path):
        try:
            return self.call("GET", path)[0]
        except OSError:
            return None

    def login(self, email, password):
        st, body = self.call("POST", "/api/auth/login", {"email": email, "password": password})
        assert st == 200, body
        return body["access"]

    def has_route(self, method, path, token):
        """Whether this daemon has the API `path` (not a 404 or 405)."""
        return self.call(method, path, token=token)[0] not in (404, 405)

    def mails(self):
        out = []
        for f in sorted(glob.glob(os.path.join(self.mail_dir, "*.json"))):
            with open(f) as fh:
                out.append(json.load(fh))
        return out

    def mail_link(self, subject_part, timeout=15):
        """The link into the web app of the newest email whose subject has `subject_part`."""
        def find():
            for m in reversed(self.mails()):
                msg = email.message_from_string(m["data"], policy=email.policy.default)
                if subject_part in msg["Subject"]:
                    found = re.search(r"https?://\S+#token=[0-9a-f]{64}", msg.get_body().get_content())
                    if found:
                        return found.group(0)
            return None
        return eventually(find, timeout, f"an email about {subject_part!r} with a link")


class Browser:
    """Headless chromium, 1280×900 unless told, its console collected."""

    def __init__(self, base, width=1280, height=900):
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    f"--window-size={width},{height}", "--disable-extensions", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(20)
        self.base = base
        self.console = []

    def close(self):
        try:
            self.check_console()
        finally:
            self.driver.quit()

    def check_console(self):
        """Fails on any JavaScript error, console.error or CSP violation so far.
        Failed HTTP answers the app handles (source `network`) are allowed."""
        bad = []
        for entry in self.driver.get_log("browser"):
            self.console.append(entry)
            msg = entry.get("message", "")
            if entry.get("source") == "security" or "Content Security Policy" in msg or "Refused to" in msg:
                bad.append(entry)
            elif entry.get("level") == "SEVERE" and entry.get("source") != "network":
                bad.append(entry)
        assert not bad, "browser console errors:\n" + "\n".join(json.dumps(e) for e in bad)

    def open(self, path):
        self.driver.get(self.base + path)

    def find(self, css, timeout=10):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.02).until(
            lambda d: (d.find_elements(By.CSS_SELECTOR, css) or [None])[0])

    def finds(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text_of(self, css, timeout=10):
        return self.find(css, timeout).text

    def wait_text(self, css, text, timeout=10):
        def ok(_):
            for el in self.driver.find_elements(By.CSS_SELECTOR, css):
                try:
                    if text in el.text:
                        return el
                except Exception:  # replaced while read
                    pass
            return None
        return WebDriverWait(self.driver, timeout, poll_frequency=0.02).until(ok, f"{text!r} in {css}")

    def wait_error(self, css, timeout=10):
        """The first element matching `css` once it shows some text (an error slot)."""
        return WebDriverWait(self.driver, timeout, poll_frequency=0.02).until(
            lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, css) if e.text.strip()), None),
            f"an error in {css}")

    def fill(self, label, value):
        """Types into the input the label names (labels are how users find fields)."""
        el = WebDriverWait(self.driver, 10, poll_frequency=0.02).until(
            lambda d: (d.find_elements(By.XPATH, f"//label[normalize-space()='{label}']") or [None])[0],
            f"a field labelled {label!r}")
        target = self.driver.find_element(By.ID, el.get_attribute("for"))
        target.clear()
        target.send_keys(value)
        return target

    def click_text(self, text, tag="button"):
        el = WebDriverWait(self.driver, 10, poll_frequency=0.02).until(
            lambda d: next((e for e in d.find_elements(By.TAG_NAME, tag) if e.text.strip() == text and e.is_displayed()), None),
            f"a {tag} {text!r}")
        el.click()
        return el

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def sign_in(self, email, password):
        self.open("/login")
        self.fill("Email", email)
        self.fill("Password", password)
        self.click_text("Sign in")
        self.find("#logout")


def run(flow):
    """Runs `flow(stack, browser)`; prints the daemon's log on a failure."""
    stack = Stack()
    browser = None
    try:
        browser = Browser(stack.base)
        flow(stack, browser)
        browser.close()
        browser = None
        print("ok")
    except BaseException:
        if browser:
            try:
                for e in browser.driver.get_log("browser") + browser.console:
                    print("console:", json.dumps(e), file=sys.stderr)
            except Exception:
                pass
        print("---- kryptod log ----\n" + stack.daemon_log()[-6000:], file=sys.stderr)
        raise
    finally:
        if browser:
            browser.driver.quit()
        stack.close()
