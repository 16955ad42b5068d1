#!/usr/bin/env python3
"""The dashboard under load, in a real headless Chromium (issue 17's performance points).

Against a running `roost serve` fed by `roost simulate` (started by scripts/bench-dashboard):

1. First load of `/`: bytes transferred before the chart library (Resource Timing, nothing
   cached), and the time until the login form is on the page (time to interactive).
2. The devices page, then a device's page, each for --minutes while the devices publish: main
   thread tasks over 50 ms (a `longtask` PerformanceObserver installed before any page script
   runs), and the JS heap after a forced garbage collection every --sample seconds (DevTools
   protocol `HeapProfiler.collectGarbage`, `Performance.getMetrics` JSHeapUsedSize).

Prints one table; exits 1 if the browser could not do a step (not when a target is missed:
this is a benchmark, it reports).
"""
import argparse
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

# Runs in every document before its own scripts: records long tasks and when the login form or
# the app's first page appears (DevTools-injected, so the page's Content-Security-Policy allows it).
PROBE = """
window.__long = [];
try {
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push([e.startTime, e.duration]); })
    .observe({ type: 'longtask', buffered: true });
} catch (e) {}
window.__ready = null;
const mark = () => { if (window.__ready === null && document.querySelector('#email, #app h1')) window.__ready = performance.now(); };
new MutationObserver(mark).observe(document, { childList: true, subtree: true });
"""


def browser():
    o = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
                 "--enable-precise-memory-info", "--js-flags=--expose-gc"):
        o.add_argument(flag)
    o.binary_location = "/usr/bin/chromium"
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
    d.execute_cdp_cmd("Performance.enable", {})
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    return d


def heap_mb(d):
    d.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    metrics = {m["name"]: m["value"] for m in d.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
    return metrics["JSHeapUsedSize"] / 1e6


def first_load(d, base):
    d.get(base + "/")
    WebDriverWait(d, 30).until(EC.presence_of_element_located((By.ID, "email")))
    time.sleep(0.5)
    nav = d.execute_script("return performance.getEntriesByType('navigation')[0].toJSON()")
    resources = d.execute_script("return performance.getEntriesByType('resource').map((r) => [r.name, r.transferSize])")
    before_chart = nav["transferSize"] + sum(size for name, size in resources if "dygraph" not in name)
    ready = d.execute_script("return window.__ready")
    return before_chart, len(resources) + 1, ready, nav["domInteractive"]


def login(d, base, email, password):
    d.get(base + "/#/overview")
    WebDriverWait(d, 30).until(EC.element_to_be_clickable((By.ID, "email")))
    d.find_element(By.ID, "email").send_keys(email)
    d.find_element(By.ID, "password").send_keys(password)
    d.find_element(By.ID, "login-submit").click()
    WebDriverWait(d, 30).until(EC.presence_of_element_located((By.ID, "stat-devices_total")))


def watch(d, url, ready_css, minutes, sample):
    """Opens `url`, waits for `ready_css`, then samples heap and long tasks for `minutes`."""
    d.get(url)
    d.refresh()  # a fresh document, so the probe's long-task list starts with this page
    WebDriverWait(d, 60).until(EC.presence_of_element_located((By.CSS_SELECTOR, ready_css)))
    time.sleep(2)
    heaps = [heap_mb(d)]
    deadline = time.monotonic() + minutes * 60
    while time.monotonic() < deadline:
        time.sleep(min(sample, max(0, deadline - time.monotonic())))
        heaps.append(heap_mb(d))
    return heaps, d.execute_script("return window.__long")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--email", default="admin@roost.local")
    p.add_argument("--password", required=True)
    p.add_argument("--device", default="sim-0")
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--sample", type=float, default=30)
    args = p.parse_args()

    d = browser()
    try:
        size, files, ready, interactive = first_load(d, args.base)
        print("first load of /: %.1f KB transferred in %d files before the chart library; login form on the page at %.0f ms "
              "(domInteractive %.0f ms)" % (size / 1024, files, ready or -1, interactive))
        login(d, args.base, args.email, args.password)
        print("| page | minutes | tasks > 50 ms | longest task | JS heap after GC, first → last (min–max) |")
        print("|---|---:|---:|---:|---|")
        for name, url, css in (("devices", args.base + "/#/devices", "tr[data-device]"),
                               ("device " + args.device, args.base + "/#/devices/" + args.device, "#messages tr")):
            heaps, long_tasks = watch(d, url, css, args.minutes, args.sample)
            longest = max((t[1] for t in long_tasks), default=0)
            print("| %s | %.1f | %d | %.0f ms | %.1f → %.1f MB (%.1f–%.1f) |" % (
                name, args.minutes, len(long_tasks), longest, heaps[0], heaps[-1], min(heaps), max(heaps)), flush=True)
            print("  heap samples (MB): " + " ".join("%.1f" % h for h in heaps), flush=True)
    except Exception as e:  # a step the browser could not do
        print("FAILED:", repr(e))
        return 1
    finally:
        d.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
