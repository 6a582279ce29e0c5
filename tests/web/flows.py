#!/usr/bin/python3
"""The web app's flows in a real browser, one ctest test each:

    flows.py FLOW        FLOW is one of the functions named in FLOWS

Each flow runs against the real daemon with the test exchange, an SMTP
server and a fake Telegram Bot API, and fails on any JavaScript error or CSP
violation the browser reports.
"""
import os
import random
import sys
import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from harness import ADMIN_EMAIL, ADMIN_PASSWORD, SOURCE, eventually, run

XSS = "<img src=x onerror=alert(1)>"
PASSWORD = "a long password"


def register(stack, email):
    st, body = stack.call("POST", "/api/auth/register", {"email": email, "password": PASSWORD})
    assert st == 201, body
    return stack.login(email, PASSWORD)


def seed_prices(stack, symbol="BTCUSDT", count=40):
    """`count` minutes of history ending now, four trades a minute (open,
    high, low, close), wandering around 100."""
    rng = random.Random(7)
    now = int(time.time() * 1000) // 60_000 * 60_000
    price = 100.0
    for i in range(count):
        start = now - (count - i) * 60_000
        close = max(80.0, min(120.0, price + rng.uniform(-2.5, 2.6)))
        high = max(price, close) + rng.uniform(0.1, 1.5)
        low = min(price, close) - rng.uniform(0.1, 1.5)
        for offset, p in ((1_000, price), (15_000, high), (30_000, low), (50_000, close)):
            stack.trade(symbol, f"{p:.2f}", start + offset)
        price = close
    eventually(lambda: len(stack.call("GET", f"/api/prices?symbol={symbol}&limit=1000")[1]["items"]) >= count - 2,
               20, "the price samples")


def assert_text_only(browser):
    """The hostile name never became markup, wherever it is shown."""
    assert browser.js("return document.querySelectorAll('main img, main [onerror]').length") == 0


def accounts(stack, browser):
    """Register, confirm the email from its link, sign out, reset the
    password from its link, sign in; the session survives a reload."""
    browser.open("/")
    browser.find("form")
    assert browser.driver.current_url.endswith("/login")
    browser.click_text("Create an account", "a")
    browser.fill("Email", "carol@example.com")
    browser.fill("Password", "short")
    browser.click_text("Create account")
    browser.wait_error(".field-error[data-field=password]")
    browser.fill("Password", PASSWORD)
    browser.click_text("Create account")
    browser.find("#logout")
    browser.wait_text("main h1", "Coins")

    link = stack.mail_link("Confirm your kryptod email")
    assert link.startswith(stack.base + "/verify-email#token="), link
    token = link.rsplit("=", 1)[1]
    browser.driver.get(link)
    browser.wait_text("main [role=status]", "confirmed")
    assert token not in browser.driver.current_url

    browser.driver.refresh()  # the refresh token in sessionStorage signs in again
    browser.find("#logout").click()
    browser.find("form")
    assert browser.js("return sessionStorage.length") == 0

    browser.fill("Email", "carol@example.com")
    browser.fill("Password", "wrong password")
    browser.click_text("Sign in")
    browser.wait_error(".form-error")
    assert browser.finds("#logout") == []

    browser.click_text("Forgot your password?", "a")
    browser.fill("Email", "carol@example.com")
    browser.click_text("Send reset email")
    browser.wait_text("main [role=status]", "on its way")
    link = stack.mail_link("Reset your kryptod password")
    assert link.startswith(stack.base + "/reset-password#token="), link
    token = link.rsplit("=", 1)[1]
    browser.driver.get(link)
    browser.fill("Password", "a new long password")
    browser.click_text("Set password")
    browser.wait_text("main [role=status]", "password is changed")
    assert token not in browser.driver.current_url
    browser.sign_in("carol@example.com", "a new long password")
    for url in [browser.driver.current_url]:
        assert "token" not in url and "eyJ" not in url


def chart_alerts(stack, browser):
    """Create an alert by clicking the chart, see it listed and drawn, drag
    it, edit it (field errors beside the field), pause, re-arm, history,
    delete; a hostile name is text everywhere; the chart's screenshot."""
    seed_prices(stack)
    token = register(stack, "dave@example.com")
    browser.sign_in("dave@example.com", PASSWORD)
    browser.open("/coins/BTCUSDT")
    chart = browser.find("#chart canvas")
    chart = browser.find("#chart")
    time.sleep(0.3)  # let the chart lay out its first frame
    ActionChains(browser.driver).move_to_element_with_offset(chart, -100, -60).click().perform()
    price_input = browser.find("#quick-alert input")
    clicked = float(price_input.get_attribute("value"))
    assert 80 < clicked < 130, clicked
    browser.fill("Name (optional)", XSS)
    browser.click_text("Create alert")
    row = browser.wait_text("#coin-alerts li", XSS)
    assert row.find_element(By.CSS_SELECTOR, ".alert-name").text == XSS
    _, page = stack.call("GET", "/api/alerts", token=token)
    assert page["total"] == 1
    alert = page["items"][0]
    assert float(alert["target_price"]) == clicked and alert["name"] == XSS
    assert_text_only(browser)

    # Drag the line 50 px down: its target follows (PATCH).
    ActionChains(browser.driver).move_to_element_with_offset(chart, 40, -60).click_and_hold() \
        .move_by_offset(0, 25).move_by_offset(0, 25).release().perform()
    moved = eventually(lambda: (lambda a: a if float(a["target_price"]) < clicked else None)(
        stack.call("GET", f"/api/alerts/{alert['id']}", token=token)[1]), 5, "the dragged target")
    browser.wait_text("#coin-alerts li", moved["target_price"])

    # The list shows it, the name as text.
    browser.click_text("Alerts", "a")
    browser.find("#alert-rows[data-ready]")
    assert browser.text_of("#alert-rows td.alert-name") == XSS
    assert_text_only(browser)
    browser.click_text("Edit", "a")
    browser.find("#alert-form")
    assert browser.text_of("main .alert-name") == XSS
    browser.fill("Target price", "-5")
    browser.click_text("Save changes")
    browser.wait_error(".field-error[data-field=target_price]")
    browser.fill("Target price", "150")
    browser.fill("Name (optional)", "take profit")
    browser.click_text("Save changes")
    browser.wait_text("#alert-events", "updated")
    _, a = stack.call("GET", f"/api/alerts/{alert['id']}", token=token)
    assert a["target_price"] == "150" and a["name"] == "take profit"
    browser.click_text("Pause")
    browser.wait_text("#alert-status", "disabled")
    browser.click_text("Re-arm")
    browser.wait_text("#alert-status", "active")
    browser.wait_text("#alert-events", "armed")

    # More lines for the picture: a paused one, one that fired.
    for body in ({"symbol": "BTCUSDT", "target_price": "96", "direction": "below", "name": "buy the dip"},
                 {"symbol": "BTCUSDT", "target_price": "120", "direction": "above", "name": XSS}):
        st, made = stack.call("POST", "/api/alerts", body, token)
        assert st == 201, made
    stack.call("PATCH", f"/api/alerts/{made['id']}", {"status": "disabled"}, token)
    st, fired = stack.call("POST", "/api/alerts", {"symbol": "BTCUSDT", "target_price": "111", "direction": "above",
                                                   "name": "breakout"}, token)
    stack.trade("BTCUSDT", "112")
    eventually(lambda: stack.call("GET", f"/api/alerts/{fired['id']}", token=token)[1]["status"] == "triggered", 10,
               "the fire")
    browser.open("/coins/BTCUSDT")
    browser.wait_text("#coin-alerts li[data-status=triggered]", "breakout")
    time.sleep(0.5)  # the canvas paints on the next animation frame
    shot = browser.find(".chart-wrap").screenshot_as_png
    out = os.path.join(SOURCE, "docs", "web-chart.png") if os.environ.get("KRYPTOD_UPDATE_DOCS") \
        else os.path.join(os.environ.get("KRYPTOD_WEB_OUT", "/tmp"), "web-chart.png")
    with open(out, "wb") as f:
        f.write(shot)
    print("screenshot:", out)
    assert_text_only(browser)

    # Delete from the list: a second click confirms.
    browser.open("/alerts?status=active")
    browser.find("#alert-rows[data-ready]")
    row = browser.wait_text("#alert-rows tr", "take profit")
    delete = row.find_element(By.CSS_SELECTOR, "button.danger")
    delete.click()
    delete.click()
    eventually(lambda: stack.call("GET", f"/api/alerts/{alert['id']}", token=token)[1]["status"] == "deleted", 5,
               "the delete")
    eventually(lambda: "take profit" not in browser.js("return document.getElementById('alert-rows').textContent"),
               5, "the row to go")


def live_fire(stack, browser):
    """A fire shows without a reload: toast, list row, chart list status."""
    token = register(stack, "erin@example.com")
    seed_prices(stack, count=5)
    st, alert = stack.call("POST", "/api/alerts", {"symbol": "BTCUSDT", "target_price": "500", "direction": "above",
                                                   "name": XSS}, token)
    assert st == 201, alert
    browser.sign_in("erin@example.com", PASSWORD)
    browser.open("/alerts")
    browser.find("#alert-rows[data-ready]")
    browser.wait_text("#live", "live")
    browser.js("window.__noReload = 1")
    start = time.monotonic()
    stack.trade("BTCUSDT", "501")
    browser.wait_text(".toast", "Alert fired", 5)
    browser.wait_text(f"#alert-rows tr[data-alert='{alert['id']}'] .status", "triggered", 5)
    print(f"fire shown after {1000 * (time.monotonic() - start):.0f} ms")
    assert browser.js("return window.__noReload") == 1
    assert_text_only(browser)
    # The chart page's lines follow the stream too.
    browser.click_text("BTCUSDT", "a")
    browser.wait_text("#coin-alerts li[data-status=triggered]", XSS)
    st, a2 = stack.call("POST", "/api/alerts", {"symbol": "BTCUSDT", "target_price": "600", "direction": "above"}, token)
    browser.find(f"#coin-alerts li[data-alert='{a2['id']}']")
    stack.trade("BTCUSDT", "601")
    browser.find(f"#coin-alerts li[data-alert='{a2['id']}'][data-status=triggered]", 5)


def move_alert(stack, browser):
    """A move alert through the form, with errors beside its fields."""
    token = register(stack, "fay@example.com")
    st, body = stack.call("POST", "/api/alerts", {"symbol": "BTCUSDT", "kind": "move", "percent": "5",
                                                  "window_seconds": 3600, "direction": "up"}, token)
    assert st == 201, body
    browser.sign_in("fay@example.com", PASSWORD)
    browser.open("/alerts/new")
    browser.find("#alert-form")
    browser.driver.find_element(By.XPATH, "//label[normalize-space()='Kind']/following-sibling::select/option[@value='move']").click()
    browser.fill("Percent", "0")
    browser.click_text("Create alert")
    browser.wait_error(".field-error[data-field=percent]")
    browser.fill("Percent", "2.5")
    browser.fill("Window (seconds)", "900")
    browser.click_text("Create alert")
    browser.find("#alert-rows[data-ready]")
    browser.wait_text("#alert-rows", "up 2.5% in 900s")
    browser.open("/alerts?kind=move")
    browser.find("#alert-rows[data-ready]")
    rows = browser.finds("#alert-rows tr")
    assert len(rows) == 2 and all("%" in r.text for r in rows)


def import_export(stack, browser):
    """Export as JSON, delete everything, re-import the file; a bad file's
    row errors are shown and nothing is imported."""
    token = register(stack, "gus@example.com")
    for price in ("90", "110"):
        stack.call("POST", "/api/alerts", {"symbol": "BTCUSDT", "target_price": price, "direction": "above", "name": XSS}, token)
    downloads = os.path.join(stack.dir, "downloads")
    os.mkdir(downloads)
    browser.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    browser.sign_in("gus@example.com", PASSWORD)
    browser.open("/settings")
    browser.find("#export-json").click()
    exported = os.path.join(downloads, "kryptod-alerts.json")
    eventually(lambda: os.path.exists(exported) and os.path.getsize(exported) > 0, 10, "the export")
    for a in stack.call("GET", "/api/alerts", token=token)[1]["items"]:
        stack.call("DELETE", f"/api/alerts/{a['id']}", token=token)
    file_input = browser.find("#import-form input[type=file]")
    file_input.send_keys(exported)
    browser.click_text("Import")
    browser.wait_text("#import-result", "Imported 2 alerts")
    assert stack.call("GET", "/api/alerts", token=token)[1]["total"] == 2
    bad = os.path.join(downloads, "bad.csv")
    with open(bad, "w") as f:
        f.write("symbol,target_price,direction\nBTCUSDT,100,above\nBTCUSDT,-1,above\n")
    file_input.send_keys(bad)
    browser.click_text("Import")
    browser.wait_text("#import-result .import-errors", "target_price")
    assert stack.call("GET", "/api/alerts", token=token)[1]["total"] == 2


def settings(stack, browser):
    """The webhook: a bad URL is an error beside the field; a good one shows
    its secret once."""
    register(stack, "hal@example.com")
    browser.sign_in("hal@example.com", PASSWORD)
    browser.open("/settings")
    browser.wait_text("#me-email", "hal@example.com")
    browser.fill("Webhook URL", "not a url")
    browser.driver.find_element(By.CSS_SELECTOR, "#webhook-form button[type=submit]").click()
    browser.wait_error("#webhook-form .field-error[data-field=webhook_url]")
    browser.fill("Webhook URL", "https://hooks.example.com/kryptod")
    browser.driver.find_element(By.CSS_SELECTOR, "#webhook-form button[type=submit]").click()
    secret = browser.find("#webhook-secret .secret").text
    assert len(secret) >= 32, secret
    browser.driver.refresh()
    browser.wait_text("#me-email", "hal@example.com")
    assert browser.finds("#webhook-secret .secret") == []
    assert secret not in browser.driver.page_source


def chat_settings(stack, browser):
    """Discord, Slack and ntfy URLs with their errors; the Telegram link as a
    button and a QR code."""
    token = register(stack, "ida@example.com")
    st, body = stack.call("PATCH", "/api/auth/me", {"discord_webhook_url": None}, token)
    assert st == 200, body
    browser.sign_in("ida@example.com", PASSWORD)
    browser.open("/settings")
    for form, label, bad, good in (
            ("#discord-form", "Discord webhook URL", "ftp://x", "https://discord.com/api/webhooks/1/abc"),
            ("#slack-form", "Slack webhook URL", "ftp://x", "https://hooks.slack.com/services/T/B/C"),
            ("#ntfy-form", "ntfy topic URL", "ftp://x", "https://ntfy.sh/kryptod-test")):
        browser.fill(label, bad)
        browser.driver.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]").click()
        browser.wait_error(f"{form} .field-error")
        browser.fill(label, good)
        browser.driver.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]").click()
        browser.wait_text(".toast", "saved")
    browser.click_text("Link Telegram")
    link = browser.find("#telegram-link a")
    assert link.get_attribute("href").startswith("https://t.me/")
    browser.find("#telegram-link canvas.qr")


def admin(stack, browser):
    """Users (create, disable) and coins (add, remove) for an admin."""
    browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
    browser.click_text("Admin", "a")
    browser.wait_text("#user-rows", ADMIN_EMAIL)
    browser.fill("Email", "jo@example.com")
    browser.fill("Password", PASSWORD)
    browser.click_text("Create user")
    row = browser.wait_text("#user-rows tr", "jo@example.com")
    row.find_element(By.XPATH, ".//button[text()='Disable']").click()
    browser.wait_text("#user-rows tr", "disabled")
    assert stack.call("POST", "/api/auth/login", {"email": "jo@example.com", "password": PASSWORD})[0] == 403
    browser.fill("Symbol", "solusdt")
    browser.click_text("Add coin")
    browser.wait_text("#coin-list", "SOLUSDT")
    browser.driver.find_element(By.CSS_SELECTOR, "button[aria-label='Remove SOLUSDT']").click()
    eventually(lambda: "SOLUSDT" not in browser.find("#coin-list").text, 5, "the coin to go")


def narrow(stack, browser):
    """At 360 px every page fits the width, every control has a label, and
    the sign-in form works from the keyboard alone."""
    browser.driver.set_window_size(360, 800)
    register(stack, "kim@example.com")
    browser.open("/login")
    browser.find("form")
    browser.js("document.activeElement.blur()")
    from selenium.webdriver.common.keys import Keys
    body = browser.driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)  # the skip link, then the fields in order
    active = lambda: browser.js("return document.activeElement.type || document.activeElement.tagName")
    for _ in range(12):
        if active() == "email":
            break
        browser.driver.switch_to.active_element.send_keys(Keys.TAB)
    browser.driver.switch_to.active_element.send_keys("kim@example.com", Keys.TAB, PASSWORD, Keys.ENTER)
    browser.find("#logout")
    seed_prices(stack, count=3)
    for path, ready in (("/", "tbody tr"), ("/alerts", "#alert-rows[data-ready]"), ("/alerts/new", "#alert-form"),
                        ("/coins/BTCUSDT", "#chart canvas"), ("/settings", "#import-form")):
        browser.open(path)
        browser.find(ready)
        width = browser.js("return document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width}px wide"
        unlabelled = browser.js("""return [...document.querySelectorAll('main input, main select')]
            .filter(e => !e.labels?.length && !e.getAttribute('aria-label') && !e.closest('label'))
            .map(e => e.outerHTML)""")
        assert not unlabelled, f"{path}: {unlabelled}"


FLOWS = {f.__name__: f for f in (accounts, chart_alerts, live_fire, move_alert, import_export, settings,
                                 chat_settings, admin, narrow)}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in FLOWS:
        print(f"usage: flows.py {{{','.join(FLOWS)}}}", file=sys.stderr)
        sys.exit(2)
    run(FLOWS[sys.argv[1]])
