#!/usr/bin/env python3
"""Checks the JSON Lines of `jitprobe run --format json` for the VM's tool tests; prints why and
exits 1 when a check fails.

    check_events.py tcpconnect OUT N   N connects to 127.0.0.1:47011 (tests/bcc_corpus/tcpconnect.c)
    check_events.py tcplife OUT N      N sessions of 1000 bytes on port 47011 (bcc_corpus/tcplife.c)
    check_events.py biolatency OUT N   N direct 4 KiB writes to vda (bcc_corpus/biolatency.c)"""
import json
import sys

LOOPBACK = 0x0100007F  # 127.0.0.1 as the kernel stores it (network order), read as a u32
PORT = 47011


def records(path):
    for line in open(path, errors="replace"):
        if line.startswith("{"):
            try:
                yield json.loads(line)
            except ValueError:
                pass


def events(path, name):
    return [r["data"] for r in records(path) if r.get("type") == "event" and r.get("map") == name]


def tcpconnect(path, n):
    ev = [e for e in events(path, "ipv4_events") if e["dport"] == PORT]
    bad = [e for e in ev if e["daddr"] != LOOPBACK or e["saddr"] != LOOPBACK or e["ip"] != 4
           or not 0 < e["lport"] != PORT or not e["task"].startswith("python")]
    counted = sum(e["value"] for r in records(path) if r.get("name") == "ipv4_count"
                  for e in r.get("entries", []) if e["key"]["dport"] == PORT)
    ok = len(ev) == n and not bad and counted == n
    return ok, f"{len(ev)} connect events to port {PORT} (want {n}), ipv4_count {counted}, bad: {bad[:2]}"


def tcplife(path, n):
    ev = events(path, "ipv4_events")
    # ports = dport + (lport << 32): the client's socket has dport 47011, the server's lport.
    client = [e for e in ev if e["ports"] & 0xFFFF == PORT]
    server = [e for e in ev if e["ports"] >> 32 == PORT]
    ok = (len(client) == n and len(server) == n and
          all(1000 <= e["tx_b"] <= 1002 and e["task"].startswith("python") for e in client) and
          all(1000 <= e["rx_b"] <= 1002 for e in server) and
          all(e["daddr"] == LOOPBACK and e["saddr"] == LOOPBACK for e in client + server))
    return ok, (f"{len(client)} client / {len(server)} server sessions (want {n} each): "
                f"{(client + server)[:2]}")


def biolatency(path, n):
    hists = [r for r in records(path) if r.get("type") == "hist" and r.get("name") == "dist"]
    writes = sum(b["count"] for r in hists if r.get("key", {}).get("disk") == "vda"
                 and r["key"].get("op") == 1 for b in r["buckets"])
    flags = sum(e["value"] for r in records(path) if r.get("name") == "flag_counts"
                for e in r.get("entries", []) if e["key"] == 1)
    return writes == n and flags == n, f"vda writes in dist {writes}, flag_counts[1] {flags} (want {n})"


def main():
    kind, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ok, what = {"tcpconnect": tcpconnect, "tcplife": tcplife, "biolatency": biolatency}[kind](path, n)
    print(what)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
