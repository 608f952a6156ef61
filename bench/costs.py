#!/usr/bin/env python3
"""The cost of a crawled page, measured from outside the node JVMs (for docs/SCALING.md).

  costs.py snapshot --node PID:STATUS_PORT ... --site PID > before.json
  ... crawl ...
  costs.py snapshot --node PID:STATUS_PORT ... --site PID > after.json
  costs.py diff before.json after.json     # one JSON object of per-page costs

A snapshot holds, per node: the CPU time of its JVM (/proc/PID/stat), its /status counters
(pages, frontier round trips by kind, the coordinator's decisions and time), its event-bus meters
from /metrics, and the bytes each of its TCP sockets has sent (the kernel's counters, `ss -tinp`),
split into Hazelcast (a local or remote port in 5701-5799), the crawl's own HTTP (to the site's
process) and the rest (the Vert.x event bus). Sockets that closed between the snapshots are not
counted; the members' and the event bus's connections live for the whole crawl.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
HAZELCAST_PORTS = range(5701, 5800)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return r.read().decode()


def metric_sum(text, name):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def sockets():
    """Bytes sent per socket, by owning pid: {pid: {(local, peer): bytes_sent}}."""
    out = subprocess.run(["ss", "-tinpH"], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    by_pid = {}
    for i, line in enumerate(lines):
        m = re.search(r"pid=(\d+),", line)
        if not m or i + 1 >= len(lines):
            continue
        cols = line.split()
        local, peer = cols[3], cols[4]
        sent = re.search(r"bytes_sent:(\d+)", lines[i + 1])
        if sent:
            by_pid.setdefault(m.group(1), {})[f"{local} {peer}"] = int(sent.group(1))
    return by_pid


def port(address):
    return int(address.rsplit(":", 1)[1])


def snapshot(args):
    socks = sockets()
    site_ports = {port(k.split()[0]) for k in socks.get(str(args.site), {})}
    nodes = []
    for spec in args.node:
        pid, status_port = spec.split(":")
        status = json.loads(get(status_port, "/status"))
        metrics = get(status_port, "/metrics")
        classified = {}
        for key, sent in socks.get(pid, {}).items():
            local, peer = key.split()
            if port(local) in HAZELCAST_PORTS or port(peer) in HAZELCAST_PORTS:
                cls = "hazelcast"
            elif port(peer) in site_ports:
                cls = "http"
            elif port(peer) == int(status_port) or port(local) == int(status_port):
                continue  # this script's own /status requests
            else:
                cls = "eventBus"
            classified[key] = [cls, sent]
        nodes.append({
            "pid": int(pid),
            "cpuSeconds": cpu_seconds(pid),
            "pages": status["node"]["counters"]["pages"],
            "frontierOperations": status["node"].get("frontierOperations", {}),
            "coordinator": status.get("coordinator", {}),
            "eventBusMessages": metric_sum(metrics, "vertx_eventbus_sent_total")
            + metric_sum(metrics, "vertx_eventbus_published_total"),
            "eventBusBytesWritten": metric_sum(metrics, "vertx_eventbus_bytes_written_total"),
            "sockets": classified,
        })
    json.dump({"site": {"pid": args.site, "cpuSeconds": cpu_seconds(args.site)}, "nodes": nodes},
              sys.stdout)


def diff(args):
    before = json.load(open(args.before))
    after = json.load(open(args.after))
    pages = sum(n["pages"] for n in after["nodes"]) - sum(n["pages"] for n in before["nodes"])
    if pages <= 0:
        sys.exit("costs: no pages were crawled between the snapshots")
    old = {n["pid"]: n for n in before["nodes"]}
    cpu = ops = bus = bus_bytes = 0.0
    kinds = {}
    sent = {"hazelcast": 0, "http": 0, "eventBus": 0}
    decisions = micros = 0
    for n in after["nodes"]:
        o = old[n["pid"]]
        cpu += n["cpuSeconds"] - o["cpuSeconds"]
        for kind, count in n["frontierOperations"].items():
            d = count - o["frontierOperations"].get(kind, 0)
            kinds[kind] = kinds.get(kind, 0) + d
            ops += d
        bus += n["eventBusMessages"] - o["eventBusMessages"]
        bus_bytes += n["eventBusBytesWritten"] - o["eventBusBytesWritten"]
        # Per socket: a socket opened between the snapshots counts from zero.
        for key, (cls, value) in n["sockets"].items():
            sent[cls] += value - o["sockets"].get(key, [cls, 0])[1]
        c = n.get("coordinator", {})
        oc = o.get("coordinator", {})
        if c.get("self"):
            decisions += c.get("decisions", 0) - oc.get("decisions", 0)
            micros += c.get("decidingMicros", 0) - oc.get("decidingMicros", 0)
    result = {
        "pages": pages,
        "nodes": len(after["nodes"]),
        "cpuSecondsPerPage": cpu / pages,
        "siteCpuSecondsPerPage": (after["site"]["cpuSeconds"] - before["site"]["cpuSeconds"]) / pages,
        "frontierRoundTripsPerPage": ops / pages,
        "frontierRoundTripsPerPageByKind": {k: v / pages for k, v in kinds.items()},
        "eventBusMessagesPerPage": bus / pages,
        "eventBusBytesPerPage": sent["eventBus"] / pages,
        "hazelcastBytesPerPage": sent["hazelcast"] / pages,
        "httpRequestBytesPerPage": sent["http"] / pages,
        "coordinatorDecisions": decisions,
        "coordinatorMicrosPerHostDecision": micros / decisions if decisions else None,
    }
    json.dump(result, sys.stdout, indent=1)
    print()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("snapshot")
    s.add_argument("--node", action="append", required=True, help="PID:STATUS_PORT")
    s.add_argument("--site", type=int, required=True, help="the test site's PID")
    d = sub.add_parser("diff")
    d.add_argument("before")
    d.add_argument("after")
    args = p.parse_args()
    snapshot(args) if args.cmd == "snapshot" else diff(args)


if __name__ == "__main__":
    main()
