"""Load times in Debian's chromium under throttled profiles (CDP)."""

from __future__ import annotations

import time

from playwright.sync_api import sync_playwright

from server.auth import sessions

from .server import App

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PROFILES = {
    # name: (latency ms, download bytes/s, upload bytes/s, CPU slowdown)
    "low-end phone (4x CPU, 1.6 Mbps, 150 ms)": (150, 1_600_000 / 8, 750_000 / 8, 4),
    "2G-like (4x CPU, 250 kbps, 800 ms)": (800, 250_000 / 8, 50_000 / 8, 4),
}
BUDGET_COLD = 1500
BUDGET_WARM = 300

TIMING = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  return {usable: n.domContentLoadedEventEnd, load: n.loadEventEnd};
}"""


def _context(browser, app: App, **kwargs):
    context = browser.new_context(base_url=app.base, locale="fr-FR", **kwargs)
    context.add_cookies([{"name": sessions.COOKIE, "value": app.token, "url": app.base}])
    return context


def _throttle(page, profile) -> None:
    latency, down, up, cpu = profile
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": latency, "downloadThroughput": down, "uploadThroughput": up},
    )
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu})


def measure(app: App) -> dict[str, dict[str, dict[str, float]]]:
    pages = {
        "landing": "/",
        "dashboard": "/dashboard",
        "identity step": f"/files/{app.file_id}/identity",
        "checklist": f"/files/{app.file_id}/checklist",
    }
    results: dict[str, dict[str, dict[str, float]]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        print(
            f"\nCold loads, no cache, worker blocked (budget: usable < {BUDGET_COLD} ms on the low-end profile)"
        )
        for name, profile in PROFILES.items():
            print(f"  {name}")
            results[name] = {}
            for label, path in pages.items():
                context = _context(browser, app, service_workers="block")
                page = context.new_page()
                _throttle(page, profile)
                page.goto(path, wait_until="load")
                timing = page.evaluate(TIMING)
                results[name][label] = {k: round(v) for k, v in timing.items()}
                print(
                    f"    {label:16} first byte {timing['ttfb']:6.0f} ms  usable {timing['usable']:6.0f} ms"
                    f"  loaded {timing['load']:6.0f} ms"
                )
                context.close()
        print(f"\nWarm loads from the service worker's cache, offline (budget: < {BUDGET_WARM} ms), 4x CPU")
        context = _context(browser, app)
        page = context.new_page()
        page.goto("/dashboard")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20000)
        for path in pages.values():
            page.goto(path)
        time.sleep(1)
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        context.set_offline(True)
        results["warm offline"] = {}
        for label, path in pages.items():
            page.goto(path, wait_until="load")
            timing = page.evaluate(TIMING)
            served = page.evaluate("document.documentElement.dataset.served")
            results["warm offline"][label] = {k: round(v) for k, v in timing.items()}
            print(
                f"    {label:16} usable {timing['usable']:6.0f} ms  loaded {timing['load']:6.0f} ms  (served: {served})"
            )
        context.close()
        browser.close()
    return results
