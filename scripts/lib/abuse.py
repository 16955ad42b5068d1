#!/usr/bin/env python3
"""Abusive clients for scripts/bench-abuse, bounded in count and time.

  abuse.py never-connect PORT N SECONDS   N sockets that never send CONNECT (reopened when closed)
  abuse.py slow-bytes PORT N SECONDS      N sockets sending a CONNECT one byte a second
  abuse.py no-read PORT SECONDS           one client publishing QoS 1 without ever reading
Prints one JSON line: what it did (sockets opened, closed by the broker, bytes sent).
"""
import json
import select
import socket
import sys
import time


def connect_packet(client_id):
    cid = client_id.encode()
    var = b"\x00\x04MQTT\x04\x02\x00\x3c"  # 3.1.1, clean session, keep alive 60
    body = var + len(cid).to_bytes(2, "big") + cid
    return b"\x10" + bytes([len(body)]) + body


def open_socket(port):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    return s


def hold(port, n, seconds, trickle):
    deadline = time.time() + seconds
    poller = select.poll()
    socks = {}  # fd -> [socket, index, bytes of CONNECT sent]
    opened = closed = sent = 0

    def add(i):
        s = open_socket(port)
        socks[s.fileno()] = [s, i, 0]
        poller.register(s, select.POLLIN)

    for i in range(n):
        add(i)
        opened += 1
    last_tick = 0.0
    while time.time() < deadline:
        for fd, _ in poller.poll(50):
            entry = socks.get(fd)
            if entry is None:
                continue
            try:
                data = entry[0].recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:  # closed by the broker: open another in its place
                poller.unregister(fd)
                del socks[fd]
                entry[0].close()
                closed += 1
                add(entry[1])
                opened += 1
        if trickle and time.time() - last_tick >= 1:
            last_tick = time.time()
            for entry in socks.values():
                packet = connect_packet("slow-%d" % entry[1])
                if entry[2] < len(packet):
                    try:
                        entry[0].send(packet[entry[2]:entry[2] + 1])
                        entry[2] += 1
                        sent += 1
                    except OSError:
                        pass
    for entry in socks.values():
        entry[0].close()
    return {"mode": "slow-bytes" if trickle else "never-connect", "sockets": n, "opened": opened,
            "closed_by_broker": closed, "bytes_sent": sent}


def no_read(port, seconds):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(connect_packet("no-read"))
    time.sleep(0.2)
    topic = b"abuse/no-read"
    s.setblocking(False)
    deadline = time.time() + seconds
    sent = blocked = 0
    pid = 1
    pending = b""
    while time.time() < deadline:
        if not pending:
            body = len(topic).to_bytes(2, "big") + topic + pid.to_bytes(2, "big") + b"x" * 100
            pending = b"\x32" + bytes([len(body)]) + body
            sent += 1
            pid = pid % 65535 + 1
        try:
            pending = pending[s.send(pending):]  # a send may take part of it
        except BlockingIOError:
            blocked += 1
            time.sleep(0.01)  # the broker stopped reading this client: its backpressure holds
        except OSError:
            break
    s.close()
    return {"mode": "no-read", "publishes_sent": sent, "times_blocked": blocked}


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode in ("never-connect", "slow-bytes"):
        out = hold(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), trickle=mode == "slow-bytes")
    elif mode == "no-read":
        out = no_read(int(sys.argv[2]), float(sys.argv[3]))
    else:
        sys.exit(__doc__)
    print(json.dumps(out), flush=True)
