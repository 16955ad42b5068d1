#!/usr/bin/env python3
"""The dashboard in a real headless Chromium (Selenium), against a running `roost serve`.

A person's path through it: a bad login shows an error; logging in shows the overview; a
paho-mqtt device with credentials the API issued publishes, and its page shows the value and
the chart move live, without a reload; a command sent from the page is answered by the device
and shows `succeeded`; an alert rule is breached and the alert is acknowledged on the alerts
page; a viewer sees no button it cannot use; logging out goes back to the login page. No page
may log a console error. Screenshots of every page go to --screenshots.

Exit 0 when every step held; otherwise the step that failed is printed.
"""
import argparse, json, os, sys, threading, time, urllib.request, urllib.error

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait, Select
from selenium.webdriver.support import expected_conditions as EC
from selenium.common.exceptions import StaleElementReferenceException
import paho.mqtt.client as mqtt

DEADLINE = 15


def api(args, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1%s" % (args.http_port, path), data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=DEADLINE) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def browser():
    o = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"):
        o.add_argument(flag)
    o.binary_location = "/usr/bin/chromium"
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


class Steps:
    def __init__(self, driver, shots):
        self.d, self.shots, self.errors = driver, shots, []

    def wait(self, what, cond, timeout=DEADLINE):
        try:
            # A page re-rendered while waiting replaces the element: look it up again.
            return WebDriverWait(self.d, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(cond)
        except Exception:
            self.shot("failed-" + what.replace(" ", "-"))
            raise AssertionError("timed out: " + what)

    def text(self, css, expected, what):
        self.wait(what, EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), expected))

    def shot(self, name):
        os.makedirs(self.shots, exist_ok=True)
        self.d.save_screenshot(os.path.join(self.shots, name + ".png"))

    def console(self, page, expected=()):
        for entry in self.d.get_log("browser"):
            if entry["level"] == "SEVERE" and not any(e in entry["message"] for e in expected):
                self.errors.append("%s: %s" % (page, entry["message"]))

    def login(self, base, email, password):
        self.d.get(base + "/")
        self.wait("login form", EC.element_to_be_clickable((By.ID, "email")))
        self.d.find_element(By.ID, "email").clear()
        self.d.find_element(By.ID, "email").send_keys(email)
        self.d.find_element(By.ID, "password").send_keys(password)
        self.d.find_element(By.ID, "login-submit").click()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--http-port", type=int, required=True)
    p.add_argument("--mqtt-port", type=int, required=True)
    p.add_argument("--screenshots", required=True)
    args = p.parse_args()
    base = "http://127.0.0.1:%d" % args.http_port

    status, session = api(args, "POST", "/auth/login", {"email": "admin@roost.local", "password": "admin-password-1"})
    assert status == 200, session
    admin = session["access_token"]
    status, tenant = api(args, "POST", "/tenants", {"name": "t0"}, admin)
    assert status == 201, tenant
    t0 = tenant["id"]
    status, _ = api(args, "POST", "/users", {"email": "viewer@t0.io", "password": "viewer-pass-1", "role": "viewer", "tenant_id": t0}, admin)
    assert status == 201

    d = browser()
    s = Steps(d, args.screenshots)
    try:
        # A bad login shows an error and stays on the page.
        s.login(base, "admin@roost.local", "not-the-password")
        s.text("#login-error", "Wrong email or password", "bad login error")
        s.shot("01-login-error")
        # The browser logs the bad login's 401 answer itself; that one is expected.
        s.console("login", expected=("/api/v1/auth/login - Failed to load resource: the server responded with a status of 401",))

        s.login(base, "admin@roost.local", "admin-password-1")
        s.text("#stat-devices_total", "0", "overview counts")
        s.console("overview")

        # Admin: create the device; its credentials are shown once, with ready-made snippets.
        d.get(base + "/#/admin")
        s.wait("admin page", EC.element_to_be_clickable((By.ID, "new-device-uid")))
        d.find_element(By.ID, "new-device-uid").send_keys("boiler-1")
        d.find_element(By.ID, "new-device-name").send_keys("Boiler")
        d.find_element(By.ID, "new-device-labels").send_keys("site=cellar")
        d.find_element(By.ID, "new-device-create").click()
        s.wait("credentials shown", EC.visibility_of_element_located((By.ID, "cred-password")))
        creds = {"mqtt_username": d.find_element(By.ID, "cred-username").text,
                 "mqtt_password": d.find_element(By.ID, "cred-password").text}
        assert "mosquitto_pub" in d.find_element(By.ID, "cred-mosquitto").text
        assert "paho.mqtt.client" in d.find_element(By.ID, "cred-python").text
        s.text("#admin-users", "viewer@t0.io", "users listed")
        s.shot("02-admin")
        s.console("admin")

        # The device: paho-mqtt with its own credentials; it answers every command it gets.
        dev = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id="boiler-1", protocol=mqtt.MQTTv311)
        dev.username_pw_set(creds["mqtt_username"], creds["mqtt_password"])
        got = threading.Event()

        def on_message(client, userdata, msg):
            cmd = json.loads(msg.payload)
            client.publish("t0/devices/boiler-1/commands/ack", json.dumps({"id": cmd["id"], "status": "ok", "result": {"done": True}}), qos=1)
            got.set()

        dev.on_message = on_message
        dev.connect("127.0.0.1", args.mqtt_port)
        dev.loop_start()
        dev.subscribe("t0/devices/boiler-1/commands", qos=1)
        dev.publish("t0/devices/boiler-1/telemetry", json.dumps({"temp": 20.5}), qos=1).wait_for_publish(DEADLINE)


        d.get(base + "/#/overview")
        s.text("#stat-devices_total", "1", "overview counts")
        s.text("#stat-devices_online", "1", "device online")
        s.shot("03-overview")

        d.get(base + "/#/devices")
        s.wait("device row", EC.presence_of_element_located((By.CSS_SELECTOR, "tr[data-device]")))
        s.text("#devices-total", "1 device", "devices total")
        s.shot("04-devices")
        s.console("devices")

        d.find_element(By.LINK_TEXT, "Boiler (boiler-1)").click()
        s.text("#latest", "temp 20.5", "latest value")
        s.wait("live chart drawn", EC.presence_of_element_located((By.CSS_SELECTOR, "#history-chart canvas, #history-chart")))
        # New values arrive over the WebSocket: the page and the chart move without a reload.
        marker = d.execute_script("window.__roostMarker = 1; return window.__roostMarker;")
        for v in (21.5, 22.5, 95.5):
            dev.publish("t0/devices/boiler-1/telemetry", json.dumps({"temp": v}), qos=1).wait_for_publish(DEADLINE)
        s.text("#latest", "temp 95.5", "live value")
        s.wait("live chart canvas", EC.presence_of_element_located((By.CSS_SELECTOR, "#live-chart canvas")))
        assert d.execute_script("return window.__roostMarker;") == marker, "the page reloaded"
        # Raw recent messages: the stored one, then the live ones on top, as the device sent them.
        s.text("#messages tr:first-child", '{"temp":95.5}', "raw live message")
        rows = d.find_elements(By.CSS_SELECTOR, "#messages tr")
        assert len(rows) >= 4, "message rows: %d" % len(rows)
        assert '{"temp":20.5}' in d.find_element(By.ID, "messages").text, "the stored message is listed"
        # The status timeline: the device's connect, in the table and as an online span.
        s.text("#status-events", "online", "status timeline")
        assert d.find_elements(By.CSS_SELECTOR, "#status-timeline .span-online"), "no online span drawn"
        # A custom history range: a day without data, then the last day again.
        Select(d.find_element(By.ID, "history-range")).select_by_value("custom")
        s.wait("custom range form", EC.visibility_of_element_located((By.ID, "history-from")))
        d.execute_script("document.getElementById('history-from').value = '2020-01-01T00:00';"
                         "document.getElementById('history-to').value = '2020-01-02T00:00';")
        d.find_element(By.ID, "history-show").click()
        s.text("#history-chart", "No data in this range", "custom range without data")
        d.execute_script("const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);"
                         "document.getElementById('history-from').value = new Date(now - 3600000).toISOString().slice(0, 16);"
                         "document.getElementById('history-to').value = new Date(now.getTime() + 60000).toISOString().slice(0, 16);")
        d.find_element(By.ID, "history-show").click()
        s.wait("custom range drawn", EC.presence_of_element_located((By.CSS_SELECTOR, "#history-chart canvas")))
        d.execute_script("document.getElementById('history-custom').scrollIntoView()")
        s.shot("05a-device-history")

        # A command from the page, answered by the device.
        d.find_element(By.ID, "command-name").send_keys("purge")
        d.find_element(By.ID, "command-params").send_keys('{"seconds": 3}')
        d.find_element(By.ID, "command-send").click()
        s.text("#commands tr:first-child .command-status", "succeeded", "command succeeded")
        assert got.is_set()

        # Shadow: a desired change reaches the device's delta topic; schedules: one is created.
        d.find_element(By.ID, "shadow-edit").send_keys('{"mode": "eco"}')
        d.find_element(By.ID, "shadow-save").click()
        s.text("#shadow-delta", '"mode": "eco"', "shadow delta")
        s.text("#shadow-version", "version 1", "shadow version")
        d.find_element(By.ID, "schedule-command").send_keys("report")
        d.find_element(By.ID, "schedule-when").send_keys("900")
        d.find_element(By.ID, "schedule-create").click()
        s.text("#schedules", "every 900 s", "schedule listed")
        # Edited in place: the form takes the schedule, Save sends a PATCH.
        d.find_element(By.CSS_SELECTOR, "#schedules tr:first-child .schedule-edit").click()
        when = d.find_element(By.ID, "schedule-when")
        assert when.get_attribute("value") == "900", when.get_attribute("value")
        when.clear()
        when.send_keys("600")
        d.find_element(By.ID, "schedule-create").click()
        s.text("#schedules", "every 600 s", "schedule edited")
        assert len(d.find_elements(By.CSS_SELECTOR, "#schedules tr")) == 1, "editing made a second schedule"
        s.shot("05-device")
        s.console("device")

        # An alert rule, made on the alerts page.
        d.get(base + "/#/alerts")
        s.wait("rule form", EC.element_to_be_clickable((By.ID, "rule-name")))
        d.find_element(By.ID, "rule-name").send_keys("too hot")
        d.find_element(By.ID, "rule-device").send_keys("boiler-1")
        d.find_element(By.ID, "rule-key").send_keys("temp")
        Select(d.find_element(By.ID, "rule-op")).select_by_value(">")
        d.find_element(By.ID, "rule-threshold").send_keys("90")
        d.find_element(By.ID, "rule-create").click()
        s.text("#rules", "too hot", "rule listed")
        # Edited in place: a higher threshold, which 97.5 still breaches.
        d.find_element(By.CSS_SELECTOR, "#rules tr:first-child .rule-edit").click()
        threshold = d.find_element(By.ID, "rule-threshold")
        threshold.clear()
        threshold.send_keys("96")
        d.find_element(By.ID, "rule-create").click()
        s.text("#rules tr:first-child .rule-when", "temp > 96", "rule edited")
        assert len(d.find_elements(By.CSS_SELECTOR, "#rules tr")) == 1, "editing made a second rule"
        dev.publish("t0/devices/boiler-1/telemetry", json.dumps({"temp": 97.5}), qos=1).wait_for_publish(DEADLINE)

        # 97.5 breaches the rule: the alert appears live and is acknowledged.
        s.text("#alerts tr:first-child .alert-state", "open", "alert open")
        s.shot("06-alerts")
        d.find_element(By.CSS_SELECTOR, "#alerts tr:first-child button.ack").click()
        s.text("#alerts tr:first-child .alert-state", "acknowledged", "alert acknowledged")
        s.console("alerts")

        d.find_element(By.ID, "logout").click()
        s.wait("login after logout", EC.element_to_be_clickable((By.ID, "email")))
        s.shot("07-logged-out")

        # A viewer: no command form, no acknowledge button.
        s.login(base, "viewer@t0.io", "viewer-pass-1")
        s.text("#stat-devices_total", "1", "viewer overview")
        d.get(base + "/#/devices/boiler-1")
        s.text("#latest", "temp", "viewer device page")
        assert not d.find_elements(By.ID, "command-send"), "a viewer sees the command form"
        d.get(base + "/#/alerts")
        s.wait("viewer alerts", EC.presence_of_element_located((By.CSS_SELECTOR, "#alerts tr")))
        assert not d.find_elements(By.CSS_SELECTOR, "button.ack"), "a viewer sees an acknowledge button"
        assert not d.find_elements(By.ID, "rule-create"), "a viewer sees the rule form"
        assert not d.find_element(By.CSS_SELECTOR, '[data-nav="admin"]').is_displayed(), "a viewer sees the admin link"
        d.get(base + "/#/admin")
        s.text("#forbidden", "cannot see this page", "viewer kept out of admin")
        s.shot("08-viewer")
        s.console("viewer")
        assert not s.errors, "console errors: %s" % s.errors
    except AssertionError as e:
        print("FAILED:", e)
        for entry in d.get_log("browser"):
            print("console:", entry)
        return 1
    finally:
        d.quit()
        if "dev" in locals():
            dev.loop_stop()
            dev.disconnect()
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
