#!/usr/bin/python3
"""First load of the web app on the loopback, cold cache, in headless
chromium: the bytes transferred for everything (index.html, the app's
modules, the stylesheet, the chart library, the QR encoder and the API
answers the pages fetch, compressed as sent) and the time from navigation
start to an interactive alert list. Prints both; fails when a target is
missed (300 KiB, 500 ms).

Run with Debian's /usr/bin/python3 through ctest (label bench).
"""
import sys

from harness import Browser, Stack

MAX_BYTES = 300 * 1024
MAX_MS = 500.0
RUNS = 5


def transferred(browser):
    return browser.js("""return performance.getEntriesByType('navigation')
        .concat(performance.getEntriesByType('resource'))
        .reduce((n, e) => n + e.transferSize, 0)""")


def main():
    stack = Stack()
    browser = None
    try:
        st, _ = stack.call("POST", "/api/auth/register", {"email": "bench@example.com", "password": "bench password"})
        assert st == 201
        token = stack.login("bench@example.com", "bench password")
        for i in range(25):
            stack.call("POST", "/api/alerts", {"symbol": "BTCUSDT", "target_price": str(100 + i), "direction": "above",
                                               "name": f"alert {i}"}, token)
        browser = Browser(stack.base)
        browser.sign_in("bench@example.com", "bench password")
        browser.driver.execute_cdp_cmd("Network.enable", {})
        browser.driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})

        # Everything: `/`, then every page in the app (the chart, the QR encoder).
        browser.driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        browser.open("/")
        browser.find("main tbody tr")
        for link, ready in (("BTCUSDT", "#chart canvas"), ("Alerts", "#alert-rows[data-ready]"),
                            ("Settings", "#import-form"), ("New alert", "#alert-form")):
            browser.click_text(link, "a")
            browser.find(ready)
        total = transferred(browser)
        by_file = browser.js("""return performance.getEntriesByType('resource')
            .filter(e => e.initiatorType !== 'fetch')
            .map(e => `${new URL(e.name).pathname} ${e.transferSize} B (${e.decodedBodySize} B decoded)`)""")

        times = []
        for _ in range(RUNS):
            browser.driver.execute_cdp_cmd("Network.clearBrowserCache", {})
            browser.open("/alerts")
            browser.find("#alert-rows[data-ready]")
            times.append(browser.js("return performance.getEntriesByName('kryptod:alerts-ready')[0].startTime"))
        browser.check_console()
        times.sort()
        median = times[len(times) // 2]
        for line in by_file:
            print("  " + line)
        print(f"web first load: {total} bytes transferred, everything (target <= {MAX_BYTES})")
        print(f"web first load: interactive alert list after {median:.0f} ms median of {RUNS} cold loads "
              f"(min {times[0]:.0f}, max {times[-1]:.0f}; target <= {MAX_MS:.0f})")
        ok = total <= MAX_BYTES and median <= MAX_MS
        print("PASS" if ok else "FAIL: a target was missed")
        return 0 if ok else 1
    finally:
        if browser:
            browser.driver.quit()
        stack.close()


if __name__ == "__main__":
    sys.exit(main())
