#!/usr/bin/env python3
"""Roost as a fleet on one machine (scripts/test-fleet runs this as root).

Network namespaces joined by a bridge: Mosquitto (the external broker) in rf-broker, PostgreSQL
in rf-pg, three `roost serve --broker` nodes in rf-n1..rf-n3, simulated devices in rf-dev; the
harness itself reaches them all from the root namespace. Checked:

1. 1,000 simulated devices publishing QoS 1 while node 2 is killed with SIGKILL and started
   again: every message Mosquitto acknowledged to a device is stored, none twice.
2. A command queued on node 1 for an offline device is delivered when the device comes
   through the broker, and its answer is seen on node 3's realtime WebSocket (`roost tail`).
3. A schedule firing every 5 s on a fleet of three fires once per due time.
4. The fleet's ingest rate with 1, 2 and 3 nodes, each draining a backlog queued while paused.

Every process is started here and stopped by PID; every wait is bounded.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import paho.mqtt.client as mqtt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROOST = os.environ.get("ROOST_BIN", os.path.join(ROOT, ".build/debug/roost"))
NET = "10.77.0"
HOSTS = {"broker": 1, "pg": 2, "n1": 11, "n2": 12, "n3": 13, "dev": 20}
BRIDGE = "rfleet0"
SECRET = "fleet-test-jwt-secret-of-32-bytes-or-more"
ADMIN = ("admin@fleet.test", "fleet-admin-password")
WORK = tempfile.mkdtemp(prefix="roost-fleet.")
PROCS = {}  # name -> Popen
FAILURES = []


def ip(name):
    return f"{NET}.{HOSTS[name]}"


def run(*args, check=True, timeout=60, **kw):
    return subprocess.run(args, check=check, timeout=timeout, capture_output=True, text=True, **kw)


def check(ok, what):
    print(("  ok   " if ok else "  FAIL ") + what, flush=True)
    if not ok:
        FAILURES.append(what)


def setup_network():
    run("ip", "link", "add", BRIDGE, "type", "bridge")
    run("ip", "addr", "add", f"{NET}.254/24", "dev", BRIDGE)
    run("ip", "link", "set", BRIDGE, "up")
    for name, host in HOSTS.items():
        ns = f"rf-{name}"
        run("ip", "netns", "add", ns)
        run("ip", "link", "add", f"rfv{host}", "type", "veth", "peer", "name", f"rfp{host}")
        run("ip", "link", "set", f"rfv{host}", "master", BRIDGE, "up")
        run("ip", "link", "set", f"rfp{host}", "netns", ns)
        run("ip", "netns", "exec", ns, "ip", "addr", "add", f"{NET}.{host}/24", "dev", f"rfp{host}")
        run("ip", "netns", "exec", ns, "ip", "link", "set", f"rfp{host}", "up")
        run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")


def teardown_network():
    for name in HOSTS:
        run("ip", "netns", "del", f"rf-{name}", check=False)
    run("ip", "link", "del", BRIDGE, check=False)


def spawn(name, ns, args, env=None, user=None):
    log = open(os.path.join(WORK, name + ".log"), "a")
    prefix = ["ip", "netns", "exec", f"rf-{ns}"] + (["runuser", "-u", user, "--"] if user else [])
    PROCS[name] = subprocess.Popen(prefix + args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    return PROCS[name]


def stop(name, sig=signal.SIGTERM, timeout=30):
    p = PROCS.pop(name, None)
    if p is None or p.poll() is not None:
        return
    p.send_signal(sig)
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=10)


def wait_for(what, condition, timeout=60, every=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if condition():
                return True
        except Exception:
            pass
        time.sleep(every)
    raise RuntimeError(f"timed out waiting for {what}")


def http(node, method, path, body=None, token=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://{ip(node)}:8080{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def sql(query):
    out = run("psql", "-h", ip("pg"), "-U", "postgres", "-d", "postgres", "-tAF", "|", "-c", query).stdout
    return [line.split("|") for line in out.strip().splitlines() if line]


# MARK: servers

def start_mosquitto():
    conf = os.path.join(WORK, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write("listener 1883 0.0.0.0\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n"
                "max_connections -1\nset_tcp_nodelay true\n")
    os.chmod(WORK, 0o755)
    spawn("mosquitto", "broker", ["mosquitto", "-c", conf])
    wait_for("mosquitto", lambda: run("ip", "netns", "exec", "rf-broker", "mosquitto_pub", "-h", ip("broker"),
                                      "-t", "fleet/probe", "-m", "x", check=False).returncode == 0)


def start_postgres():
    pgbin = sorted(d for d in (f"/usr/lib/postgresql/{v}/bin" for v in os.listdir("/usr/lib/postgresql"))
                   if os.path.exists(d + "/initdb"))[-1]
    data = os.path.join(WORK, "pg")
    os.makedirs(data)
    shutil.chown(data, "postgres")
    run("runuser", "-u", "postgres", "--", pgbin + "/initdb", "-D", data, "-U", "postgres", "-A", "trust")
    with open(os.path.join(data, "pg_hba.conf"), "a") as f:
        f.write(f"host all all {NET}.0/24 trust\n")
    spawn("postgres", "pg", [pgbin + "/postgres", "-D", data, "-p", "5432", "-k", data,
                             "-c", f"listen_addresses={ip('pg')}", "-c", "fsync=off", "-c", "max_connections=200"],
          user="postgres")
    wait_for("postgres", lambda: run("pg_isready", "-h", ip("pg"), check=False).returncode == 0)


def node_env(node, client_id, group):
    env = dict(os.environ)
    env.update({
        "ROOST_BROKER": f"mqtt://{ip('broker')}:1883",
        "ROOST_DATABASE": f"postgres://postgres@{ip('pg')}:5432/postgres",
        "ROOST_EXTERNAL_BROKER_CLIENT_ID": client_id,
        "ROOST_EXTERNAL_BROKER_SHARE_GROUP": group,
        "ROOST_JWT_SECRET": SECRET,
        "ROOST_ADMIN_EMAIL": ADMIN[0], "ROOST_ADMIN_PASSWORD": ADMIN[1],
        "ROOST_AUTH_BCRYPT_COST": "4",
        "ROOST_BIND": "0.0.0.0", "ROOST_HTTP_PORT": "8080",
        "ROOST_DATA_DIR": os.path.join(WORK, node),
        "ROOST_AGGREGATE_ROLLUP_INTERVAL": "0",  # rows stay where the checks count them
        "ROOST_LOG_LEVEL": "notice",
    })
    return env


def start_node(node, client_id=None, group="roost"):
    spawn(node, node, [ROOST, "serve"], env=node_env(node, client_id or f"roost-{node}", group))


def ready(node):
    return http(node, "GET", "/ready", timeout=2)[0] == 200


# MARK: the checks

def simulate(name, devices, rate, duration, prefix):
    return spawn(name, "dev", [ROOST, "simulate", "--devices", str(devices), "--rate", str(rate),
                               "--duration", str(duration), "--mqtt", f"{ip('broker')}:1883", "--qos", "1",
                               "--prefix", prefix])


def simulate_summary(name, timeout):
    p = PROCS[name]
    p.wait(timeout=timeout)
    PROCS.pop(name)
    lines = [line for line in open(os.path.join(WORK, name + ".log")).read().splitlines() if line.startswith("simulate:")]
    if not lines:
        raise RuntimeError(f"{name} printed no summary")
    # simulate: N devices, S sent, A acked, E errors
    parts = lines[-1].replace(",", "").split()
    return {"devices": int(parts[1]), "sent": int(parts[3]), "acked": int(parts[5]), "errors": int(parts[7])}


def stored(prefix):
    rows = sql(f"SELECT count(*), count(DISTINCT (t.device_id, t.msg_id)) FROM telemetry t "
               f"JOIN devices d ON d.id = t.device_id WHERE d.uid LIKE '{prefix}-%'")
    return int(rows[0][0]), int(rows[0][1])


def command_device(token):
    """A device on the broker that comes online, takes its queued command and answers it."""
    done = {"command": None}
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="cmd-dev", protocol=mqtt.MQTTv311)

    def on_message(client, userdata, msg):
        command = json.loads(msg.payload)
        done["command"] = command
        client.publish("t0/devices/cmd-dev/commands/ack",
                       json.dumps({"id": command["id"], "status": "ok", "result": {"answered": "cmd-dev"}}), qos=1)

    def on_connect(client, userdata, flags, rc, props=None):
        client.subscribe("t0/devices/cmd-dev/commands", qos=1)
        client.publish("t0/devices/cmd-dev/telemetry", json.dumps({"msg_id": "hello", "data": {"up": 1}}), qos=1)

    c.on_message = on_message
    c.on_connect = on_connect
    return c, done


def scenario_correctness(token):
    print("== 1,000 devices, QoS 1; node 2 killed (SIGKILL) mid-load and started again", flush=True)
    status, created = http("n1", "POST", "/api/v1/devices", {"uid": "sched-dev"}, token)
    check(status == 201, f"device for the schedule created ({status})")
    status, schedule = http("n1", "POST", "/api/v1/schedules",
                            {"device": "sched-dev", "command": "ping", "every_s": 5}, token)
    check(status == 201, f"a schedule every 5 s ({status})")
    simulate("sim", 1000, 1, 40, "fleet")
    time.sleep(12)
    stop("n2", signal.SIGKILL)
    print("  node 2 killed", flush=True)
    time.sleep(4)
    start_node("n2")
    wait_for("node 2 back", lambda: ready("n2"), timeout=60)
    print("  node 2 back", flush=True)

    # A command queued on node 1 for a device that is not there yet; node 3's socket follows it.
    status, device = http("n1", "POST", "/api/v1/devices", {"uid": "cmd-dev"}, token)
    status, command = http("n1", "POST", f"/api/v1/devices/{device['id']}/commands", {"command": "reboot"}, token)
    check(status in (201, 202) and command.get("status") == "queued", f"command queued on node 1 ({command.get('status')})")
    home = os.path.join(WORK, "home")
    os.makedirs(home, exist_ok=True)
    tail_env = dict(os.environ, HOME=home, ROOST_TOKEN=token)
    tail_log = open(os.path.join(WORK, "tail.log"), "w")
    tail = subprocess.Popen([ROOST, "tail", "--server", f"http://{ip('n3')}:8080", "--device", "cmd-dev",
                             "--kinds", "command", "--json", "--count", "2"], stdout=tail_log, stderr=subprocess.STDOUT,
                            env=tail_env)
    time.sleep(1.5)  # subscribed
    device_client, answered = command_device(token)
    device_client.connect(ip("broker"), 1883)
    device_client.loop_start()
    try:
        tail.wait(timeout=30)
    except subprocess.TimeoutExpired:
        tail.kill()
    device_client.loop_stop()
    device_client.disconnect()
    events = [json.loads(line) for line in open(os.path.join(WORK, "tail.log")) if line.startswith("{")]
    statuses = [e.get("status") for e in events if e.get("id") == command["id"]]
    check(answered["command"] is not None and answered["command"]["id"] == command["id"],
          "the device got the command through the broker")
    check("succeeded" in statuses, f"node 3's WebSocket saw it succeed ({statuses})")

    summary = simulate_summary("sim", timeout=120)
    print(f"  simulator: {summary}", flush=True)
    check(summary["errors"] == 0 and summary["acked"] > 0, "the simulator had no errors")
    wait_for("the stored count to settle", lambda: stored("fleet")[0] >= summary["acked"], timeout=90, every=1)
    time.sleep(2)
    rows, distinct = stored("fleet")
    print(f"  stored {rows} rows, {distinct} distinct; devices acked {summary['acked']}, sent {summary['sent']}",
          flush=True)
    check(rows == distinct, "no message stored twice")
    check(summary["acked"] <= distinct <= summary["sent"], "every message the broker acknowledged is stored")

    status, runs = http("n1", "GET", f"/api/v1/schedules/{schedule['id']}/runs?limit=100", token=token)
    runs = runs.get("items", runs.get("runs", [])) if isinstance(runs, dict) else runs
    due = [r["due_at"] for r in runs]
    fired = [r for r in runs if r["status"] == "fired"]
    status, commands = http("n1", "GET", "/api/v1/devices/sched-dev/commands?limit=200", token=token)
    commands = commands.get("items", commands.get("commands", [])) if isinstance(commands, dict) else commands
    print(f"  schedule: {len(runs)} runs, {len(fired)} fired, {len(commands)} commands", flush=True)
    check(len(fired) >= 5, "the schedule fired while the fleet ran")
    check(len(due) == len(set(due)), "each due time claimed once")
    check(len(commands) == sum(len(r.get("commands", [])) for r in fired) == len(fired), "one command per run")


def scenario_rates():
    print("== ingest rate with 1, 2 and 3 nodes, each draining a backlog queued while they were paused", flush=True)
    for n in ("n1", "n2", "n3"):
        stop(n)
    results = []
    for count in (1, 2, 3):
        nodes = ["n1", "n2", "n3"][:count]
        group = f"rate{count}"
        for n in nodes:
            start_node(n, client_id=f"roost-{n}-{group}", group=group)
        for n in nodes:
            wait_for(f"{n} ready", lambda n=n: ready(n), timeout=60)
        # Paused (SIGSTOP) while the backlog is published, so that every node starts on it at once.
        for n in nodes:
            PROCS[n].send_signal(signal.SIGSTOP)
        simulate("backlog", 200, 50, 3, group)
        summary = simulate_summary("backlog", timeout=60)
        start = time.time()
        for n in nodes:
            PROCS[n].send_signal(signal.SIGCONT)
        wait_for("the backlog stored", lambda: stored(group)[0] >= summary["acked"], timeout=180, every=0.1)
        elapsed = time.time() - start
        rows, distinct = stored(group)
        rate = rows / elapsed
        results.append((count, rows, elapsed, rate))
        print(f"  {count} node(s): {rows} messages in {elapsed:.2f} s: {rate:,.0f} msg/s", flush=True)
        check(rows == distinct, f"{count} node(s): no message stored twice")
        for n in nodes:
            stop(n)
    return results


def main():
    if os.geteuid() != 0:
        sys.exit("scripts/test-fleet needs root (network namespaces)")
    if not os.path.exists(ROOST):
        sys.exit(f"{ROOST} is missing: swift build --product roost first")
    teardown_network()
    try:
        setup_network()
        start_mosquitto()
        start_postgres()
        # One node migrates first; the others find the schema ready.
        start_node("n1")
        wait_for("node 1 ready", lambda: ready("n1"), timeout=120)
        start_node("n2")
        start_node("n3")
        for n in ("n2", "n3"):
            wait_for(f"{n} ready", lambda n=n: ready(n), timeout=120)
        status, login = http("n1", "POST", "/api/v1/auth/login", {"email": ADMIN[0], "password": ADMIN[1]})
        token = login["access_token"]
        # One JWT secret: node 1's token is good on node 3.
        check(http("n3", "GET", "/api/v1/me", token=token)[0] == 200, "node 1's token works on node 3")
        scenario_correctness(token)
        scenario_rates()
    except Exception as e:
        FAILURES.append(f"{type(e).__name__}: {e}")
        print(f"  FAIL {type(e).__name__}: {e}", flush=True)
    finally:
        for name in list(PROCS):
            stop(name, timeout=20)
        teardown_network()
        if FAILURES:
            print(f"logs kept in {WORK}", flush=True)
        else:
            shutil.rmtree(WORK, ignore_errors=True)
    if FAILURES:
        print(f"fleet test FAILED: {len(FAILURES)} check(s)", flush=True)
        sys.exit(1)
    print("fleet test passed", flush=True)


if __name__ == "__main__":
    main()
