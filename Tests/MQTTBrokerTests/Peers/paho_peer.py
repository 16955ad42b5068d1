#!/usr/bin/env python3
"""Interop scenarios run by the Swift tests with paho-mqtt, a client no one here wrote.

Usage: paho_peer.py SCENARIO --port P [--transport tcp|websockets] [--version 3|5]
Exits 0 and prints "OK ..." when the broker behaved; prints the failure and exits 1 otherwise.
Every wait is bounded (DEADLINE seconds).
"""
import argparse
import socket
import sys
import threading
import time
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

DEADLINE = 10.0


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def wait_for(cond, what, timeout=DEADLINE):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return
        time.sleep(0.01)
    fail("timed out waiting for " + what)


class Peer:
    def __init__(self, args, client_id=None, clean=True, will=None, session_expiry=None):
        self.args = args
        self.v5 = args.version == 5
        self.client_id = client_id or "paho-" + uuid.uuid4().hex[:8]
        kwargs = dict(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                      protocol=mqtt.MQTTv5 if self.v5 else mqtt.MQTTv311, transport=args.transport)
        if not self.v5:
            kwargs["clean_session"] = clean
        self.c = mqtt.Client(**kwargs)
        if args.transport == "websockets":
            self.c.ws_set_options(path="/mqtt")
        self.messages = []
        self.connack = None
        self.suback = None
        self.disconnect_rc = None
        self.lock = threading.Lock()
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.c.on_subscribe = self._on_subscribe
        self.c.on_disconnect = self._on_disconnect
        if will:
            self.c.will_set(will[0], will[1], qos=1)
        self.clean = clean
        self.session_expiry = session_expiry

    def _on_connect(self, c, u, flags, rc, props):
        self.connack = (flags.session_present, rc)

    def _on_message(self, c, u, msg):
        with self.lock:
            self.messages.append(msg)

    def _on_subscribe(self, c, u, mid, rcs, props):
        self.suback = [int(r.value) if hasattr(r, "value") else int(r) for r in rcs]

    def _on_disconnect(self, c, u, flags, rc, props):
        self.disconnect_rc = rc

    def connect(self):
        port = self.args.http_port if self.args.transport == "websockets" else self.args.port
        if self.v5:
            props = None
            if self.session_expiry is not None:
                props = Properties(PacketTypes.CONNECT)
                props.SessionExpiryInterval = self.session_expiry
            self.c.connect("127.0.0.1", port, keepalive=30, clean_start=self.clean, properties=props)
        else:
            self.c.connect("127.0.0.1", port, keepalive=30)
        self.c.loop_start()
        wait_for(lambda: self.connack is not None, "CONNACK")
        if self.connack[1] != 0:
            fail("connection refused: %s" % self.connack[1])
        return self

    def subscribe(self, topic, qos=1):
        self.suback = None
        self.c.subscribe(topic, qos)
        wait_for(lambda: self.suback is not None, "SUBACK")
        return self.suback

    def publish(self, topic, payload, qos=1, retain=False):
        info = self.c.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(DEADLINE)
        if not info.is_published():
            fail("publish to %s not acknowledged" % topic)

    def stop(self):
        self.c.disconnect()
        self.c.loop_stop()

    def drop(self):
        """Close the socket without DISCONNECT, as a crashed device would."""
        self.c.loop_stop()
        sock = self.c.socket()
        if sock:
            sock.close()


def pubsub(args):
    sub = Peer(args).connect()
    sub.subscribe("paho/#", args.qos)
    pub = Peer(args).connect()
    for i in range(20):
        pub.publish("paho/%d" % (i % 3), "m%d" % i, qos=args.qos)
    wait_for(lambda: len(sub.messages) >= 20, "20 messages")
    time.sleep(0.3)
    got = [m.payload.decode() for m in sub.messages]
    if sorted(got) != sorted("m%d" % i for i in range(20)):
        fail("wrong messages: %s" % got)
    if args.qos == 2 and len(got) != 20:
        fail("QoS 2 delivered %d times" % len(got))
    pub.stop(); sub.stop()
    print("OK %d messages" % len(got))


def retained(args):
    pub = Peer(args).connect()
    pub.publish("paho/retained", "kept", qos=1, retain=True)
    sub = Peer(args).connect()
    sub.subscribe("paho/retained", 1)
    wait_for(lambda: sub.messages, "retained message")
    m = sub.messages[0]
    if m.payload != b"kept" or not m.retain:
        fail("retained message wrong: %r retain=%s" % (m.payload, m.retain))
    pub.publish("paho/retained", "", qos=1, retain=True)
    late = Peer(args).connect()
    late.subscribe("paho/retained", 1)
    time.sleep(0.3)
    if late.messages:
        fail("cleared retained message still delivered")
    print("OK retained")


def will(args):
    watcher = Peer(args).connect()
    watcher.subscribe("paho/will/#", 1)
    dying = Peer(args, will=("paho/will/dying", "offline")).connect()
    dying.drop()
    wait_for(lambda: watcher.messages, "will message")
    if watcher.messages[0].payload != b"offline":
        fail("wrong will payload")
    print("OK will")


def persistent(args):
    cid = "paho-persist-" + uuid.uuid4().hex[:6]
    sub = Peer(args, client_id=cid, clean=False, session_expiry=300).connect()
    sub.subscribe("paho/persist", 1)
    sub.stop()
    pub = Peer(args).connect()
    for i in range(3):
        pub.publish("paho/persist", "p%d" % i, qos=1)
    back = Peer(args, client_id=cid, clean=False, session_expiry=300).connect()
    if not back.connack[0]:
        fail("session not present")
    wait_for(lambda: len(back.messages) >= 3, "3 queued messages")
    got = [m.payload.decode() for m in back.messages]
    if got != ["p0", "p1", "p2"]:
        fail("queued messages: %s" % got)
    print("OK persistent")


def persist_setup(args):
    """Subscribe with a persistent session and leave: the broker must keep it (even across a restart)."""
    sub = Peer(args, client_id=args.client_id, clean=False, session_expiry=3600).connect()
    sub.subscribe("paho/restart/#", 1)
    sub.stop()
    print("OK persist_setup")


def persist_resume(args):
    """Come back: the session must be present and deliver what was queued or published since."""
    back = Peer(args, client_id=args.client_id, clean=False, session_expiry=3600).connect()
    if not back.connack[0]:
        fail("session not present after restart")
    wait_for(lambda: len(back.messages) >= args.expect, "%d messages" % args.expect)
    time.sleep(0.3)
    got = sorted(m.payload.decode() for m in back.messages)
    if len(got) != args.expect:
        fail("got %s" % got)
    back.stop()
    print("OK persist_resume %s" % got)


def shared(args):
    a = Peer(args).connect(); b = Peer(args).connect()
    a.subscribe("$share/g/paho/jobs", 1); b.subscribe("$share/g/paho/jobs", 1)
    pub = Peer(args).connect()
    for i in range(10):
        pub.publish("paho/jobs", "j%d" % i, qos=1)
    wait_for(lambda: len(a.messages) + len(b.messages) >= 10, "10 shared deliveries")
    time.sleep(0.3)
    if len(a.messages) + len(b.messages) != 10 or not a.messages or not b.messages:
        fail("shared split %d/%d" % (len(a.messages), len(b.messages)))
    print("OK shared %d/%d" % (len(a.messages), len(b.messages)))


def takeover(args):
    first = Peer(args, client_id="paho-same").connect()
    second = Peer(args, client_id="paho-same").connect()
    wait_for(lambda: first.disconnect_rc is not None, "first client to be disconnected")
    if args.version == 5 and int(first.disconnect_rc.value) != 0x8E:
        fail("takeover reason %s" % first.disconnect_rc)
    print("OK takeover")


def reason_of(rc):
    return int(rc.value) if hasattr(rc, "value") else int(rc)


def receive_max(args):
    """A v5 client keeping more QoS 2 PUBLISHes in flight than the server's Receive Maximum
    reads DISCONNECT 0x93 rather than a reset (the server runs with a small receive maximum)."""
    p = Peer(args)
    p.c.max_inflight_messages_set(1000)
    p.connect()  # paho 2 does not hold its window to the CONNACK's Receive Maximum
    for i in range(args.count):
        p.c.publish("paho/receive-max/%d" % i, "x", qos=2)
    wait_for(lambda: p.disconnect_rc is not None, "the server's DISCONNECT")
    if reason_of(p.disconnect_rc) != 0x93:
        fail("reason %s, expected 0x93 receive maximum exceeded" % p.disconnect_rc)
    print("OK receive_max")


def keepalive(args):
    """A v5 client that stops sending within 1.5 x its keep alive reads DISCONNECT 0x8D."""
    p = Peer(args)
    p.c._check_keepalive = lambda: None  # a client whose pings stopped, still reading
    port = args.port
    p.c.connect("127.0.0.1", port, keepalive=1, clean_start=True)
    p.c.loop_start()
    wait_for(lambda: p.connack is not None, "CONNACK")
    wait_for(lambda: p.disconnect_rc is not None, "the server's DISCONNECT", timeout=6)
    if reason_of(p.disconnect_rc) != 0x8D:
        fail("reason %s, expected 0x8D keep alive timeout" % p.disconnect_rc)
    print("OK keepalive")


def shutdown_wait(args):
    """Connected until the server shuts down: then DISCONNECT 0x8B. Prints READY when connected."""
    p = Peer(args).connect()
    print("READY", flush=True)
    wait_for(lambda: p.disconnect_rc is not None, "the server's DISCONNECT", timeout=20)
    if reason_of(p.disconnect_rc) != 0x8B:
        fail("reason %s, expected 0x8B server shutting down" % p.disconnect_rc)
    print("OK shutdown")


def raw_v5_connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    s.sendall(bytes([0x10, 13, 0, 4]) + b"MQTT" + bytes([5, 2, 0, 60, 0, 0, 0]))
    head = s.recv(2)
    if len(head) < 2 or head[0] != 0x20:
        fail("no CONNACK: %r" % head)
    body = b""
    while len(body) < head[1]:
        body += s.recv(head[1] - len(body))
    if body[1] != 0:
        fail("CONNACK reason %#x" % body[1])
    return s


def read_reason(s):
    """Everything the server sends until it closes; the reason code of its DISCONNECT."""
    data = b""
    while True:
        try:
            chunk = s.recv(4096)
        except ConnectionResetError:
            fail("connection reset before the DISCONNECT was read (got %r)" % data)
        if not chunk:
            break
        data += chunk
    i = 0
    while i < len(data):
        kind, length, j, mult = data[i], 0, i + 1, 1
        while True:
            b = data[j]; j += 1
            length += (b & 0x7F) * mult; mult *= 128
            if b < 0x80:
                break
        if kind == 0xE0:
            return data[j] if length > 0 else 0
        i = j + length
    fail("the server closed without DISCONNECT (got %r)" % data)


def protocol_errors(args):
    """Malformed (0x81), protocol error (0x82) and packet too large (0x95) arrive as a v5
    DISCONNECT with that reason before the server closes, even while the client keeps writing."""
    cases = [
        ("malformed", bytes([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]), 0x81),
        ("second CONNECT", bytes([0x10, 13, 0, 4]) + b"MQTT" + bytes([5, 2, 0, 60, 0, 0, 0]), 0x82),
        ("too large", bytes([0x30, 0xFF, 0xFF, 0xFF, 0x7F]) + bytes([0, 1]) + b"t" + bytes(2000), 0x95),
    ]
    for name, packet, expected in cases:
        s = raw_v5_connect(args.port)
        # Unread bytes behind the offending packet: a close at once would reset the connection.
        s.sendall(packet + bytes([0xC0, 0]) * 50)
        got = read_reason(s)
        s.close()
        if got != expected:
            fail("%s: reason %#x, expected %#x" % (name, got, expected))
    print("OK protocol_errors")


def acl(args):
    c = Peer(args).connect()
    codes = c.subscribe("test/nosubscribe", 0)
    expected = 0x87 if args.version == 5 else 0x80
    if codes != [expected]:
        fail("SUBACK %s, expected %#x" % (codes, expected))
    print("OK acl")


def malformed(args):
    s = socket.create_connection(("127.0.0.1", args.port), timeout=DEADLINE)
    s.sendall(bytes([0x10, 0x0c, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 0]))
    if s.recv(4) != bytes([0x20, 2, 0, 0]):
        fail("no CONNACK")
    s.sendall(bytes([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))  # 5-byte remaining length
    s.settimeout(DEADLINE)
    if s.recv(10) != b"":
        fail("broker answered a malformed packet instead of closing")
    pubsub_args = argparse.Namespace(**vars(args)); pubsub_args.qos = 1
    sub = Peer(pubsub_args).connect(); sub.subscribe("paho/after", 1)
    pub = Peer(pubsub_args).connect(); pub.publish("paho/after", "fine", qos=1)
    wait_for(lambda: sub.messages, "message after the malformed client")
    print("OK malformed")


def ws_frame(payload, opcode=0x2, fin=True):
    """A masked client WebSocket frame."""
    import os
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    else:
        head += bytes([0x80 | 126, n >> 8, n & 255])
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def ws_fragmented(args):
    """MQTT packets split across WebSocket frames and across continuation frames."""
    import base64, os
    watcher = Peer(argparse.Namespace(**{**vars(args), "transport": "tcp"})).connect()
    watcher.subscribe("ws/frag", 1)
    s = socket.create_connection(("127.0.0.1", args.http_port), timeout=DEADLINE)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n" % key).encode())
    resp = b""
    while b"\r\n\r\n" not in resp:
        resp += s.recv(1024)
    head, rest = resp.split(b"\r\n\r\n", 1)
    if b" 101 " not in head.split(b"\r\n")[0] or b"sec-websocket-protocol: mqtt" not in head.lower():
        fail("upgrade refused: %r" % head)
    connect = bytes([0x10, 0x0e, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 2]) + b"ws"
    # CONNECT in two separate binary messages.
    s.sendall(ws_frame(connect[:5]) + ws_frame(connect[5:]))
    data = rest
    while len(data) < 6:
        data += s.recv(64)
    if data[:6] != bytes([0x82, 4, 0x20, 2, 0, 0]):
        fail("no CONNACK frame: %r" % data[:6])
    topic = b"ws/frag"
    publish = bytes([0x32, 2 + len(topic) + 2 + 5, 0, len(topic)]) + topic + bytes([0, 1]) + b"hello"
    # PUBLISH as one fragmented message: binary (fin=0) + continuation (fin=0) + continuation (fin=1).
    s.sendall(ws_frame(publish[:3], 0x2, False) + ws_frame(publish[3:9], 0x0, False) + ws_frame(publish[9:], 0x0, True))
    wait_for(lambda: watcher.messages, "fragmented publish to arrive")
    if watcher.messages[0].payload != b"hello":
        fail("payload %r" % watcher.messages[0].payload)
    s.close()
    print("OK ws_fragmented")


def api(args, method, path, body=None, token=None):
    """A call to Roost's REST API with urllib: (status, JSON)."""
    import json, urllib.request, urllib.error
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1%s" % (args.http_port, path), data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=DEADLINE) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def commands(args):
    """A device on paho with its own credentials: a command queued while it is offline arrives
    when it subscribes, one sent while it is online arrives at once; its answers finish both."""
    import json
    status, login = api(args, "POST", "/auth/login", {"email": "admin@roost.local", "password": "admin-password-1"})
    if status != 200:
        fail("login: %s %s" % (status, login))
    token = login["access_token"]
    uid = "paho-" + uuid.uuid4().hex[:6]
    status, device = api(args, "POST", "/devices", {"uid": uid}, token)
    if status != 201:
        fail("create device: %s %s" % (status, device))
    status, first = api(args, "POST", "/devices/%s/commands" % uid, {"command": "first", "params": {"n": 1}}, token)
    if status != 201 or first["status"] != "queued":
        fail("offline command: %s %s" % (status, first))
    peer = Peer(args, client_id=uid)
    peer.c.username_pw_set(device["credentials"]["mqtt_username"], device["credentials"]["mqtt_password"])
    peer.connect()
    peer.subscribe("t0/devices/%s/commands" % uid, 1)
    wait_for(lambda: peer.messages, "the queued command")
    got = json.loads(peer.messages[0].payload)
    if got != {"id": first["id"], "command": "first", "params": {"n": 1}}:
        fail("queued command payload %r" % got)
    ack = "t0/devices/%s/commands/ack" % uid
    peer.publish(ack, json.dumps({"id": got["id"], "status": "ok", "result": {"done": 1}}), qos=1)
    status, second = api(args, "POST", "/devices/%s/commands" % uid, {"command": "second"}, token)
    if status != 201 or second["status"] != "sent":
        fail("online command: %s %s" % (status, second))
    wait_for(lambda: len(peer.messages) > 1, "the second command")
    peer.publish(ack, json.dumps({"id": second["id"], "status": "error", "result": {"code": 3}}), qos=1)

    def final(cid, want):
        return lambda: api(args, "GET", "/commands/" + cid, token=token)[1]["status"] == want
    wait_for(final(first["id"], "succeeded"), "first to succeed")
    wait_for(final(second["id"], "failed"), "second to fail")
    status, listed = api(args, "GET", "/devices/%s/commands" % uid, token=token)
    if [c["command"] for c in listed["items"]] != ["second", "first"]:
        fail("command list %r" % listed)
    peer.stop()
    print("OK commands")


def commands_lost(args):
    """A command reaches a device on a clean session that drops before its PUBACK: the broker
    forgets it with the session, so the command goes back to the queue and arrives again when
    the device reconnects (clean) and subscribes; its answer finishes it."""
    import json
    status, login = api(args, "POST", "/auth/login", {"email": "admin@roost.local", "password": "admin-password-1"})
    token = login["access_token"]
    uid = "lost-" + uuid.uuid4().hex[:6]
    status, device = api(args, "POST", "/devices", {"uid": uid}, token)
    if status != 201:
        fail("create device: %s %s" % (status, device))
    creds = device["credentials"]
    kwargs = dict(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=uid, manual_ack=True,
                  protocol=mqtt.MQTTv5 if args.version == 5 else mqtt.MQTTv311)
    if args.version != 5:
        kwargs["clean_session"] = True
    first = mqtt.Client(**kwargs)
    first.username_pw_set(creds["mqtt_username"], creds["mqtt_password"])
    got = []
    first.on_message = lambda c, u, m: got.append(m)
    first.connect("127.0.0.1", args.port, 30)
    first.loop_start()
    first.subscribe("t0/devices/%s/commands" % uid, 1)
    time.sleep(0.3)
    status, cmd = api(args, "POST", "/devices/%s/commands" % uid, {"command": "once", "timeout_s": 60}, token)
    if status != 201 or cmd["status"] != "sent":
        fail("command: %s %s" % (status, cmd))
    wait_for(lambda: got, "the command, not acknowledged")
    first.loop_stop()
    first.socket().close()  # gone before its PUBACK, clean session: the broker drops the message
    wait_for(lambda: api(args, "GET", "/commands/" + cmd["id"], token=token)[1]["status"] == "queued",
             "the command back in the queue")
    again = Peer(args, client_id=uid)
    again.c.username_pw_set(creds["mqtt_username"], creds["mqtt_password"])
    again.connect()
    again.subscribe("t0/devices/%s/commands" % uid, 1)
    wait_for(lambda: again.messages, "the command sent again")
    if json.loads(again.messages[0].payload)["id"] != cmd["id"]:
        fail("another command arrived: %r" % again.messages[0].payload)
    again.publish("t0/devices/%s/commands/ack" % uid, json.dumps({"id": cmd["id"], "status": "ok"}), qos=1)
    wait_for(lambda: api(args, "GET", "/commands/" + cmd["id"], token=token)[1]["status"] == "succeeded",
             "the command to succeed")
    again.stop()
    print("OK commands_lost")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("scenario")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--http-port", type=int, default=0)
    p.add_argument("--transport", default="tcp")
    p.add_argument("--version", type=int, default=5)
    p.add_argument("--qos", type=int, default=1)
    p.add_argument("--client-id", default="paho-restart")
    p.add_argument("--expect", type=int, default=0)
    p.add_argument("--count", type=int, default=50)
    a = p.parse_args()
    globals()[a.scenario](a)
