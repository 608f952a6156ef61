#!/usr/bin/env python3
"""Scaling model for Fleetcrawl: a simulation of the local scaling benchmark and a
capacity projection to a large cluster, both driven by measured per-page costs.

    /usr/bin/python3 bench/scale-model.py COSTS.json [--simulate] [--project] [options]

With neither --simulate nor --project it does both. --json prints the numbers as JSON
instead of text. COSTS.json is written by a benchmark; every cost comes from it, this
script only has defaults for the projection's targets and assumed limits. The keys it
reads (the interface):

    machine.cores
    scenario.hosts, .pagesPerHost, .delayMs, .capPerNode, .perHostConcurrency, .nodes
    measured.cpuSecondsPerPage, .siteCpuSecondsPerPage, .frontierRoundTripsPerPage,
        .frontierCpuSecondsPerRoundTrip, .loopbackRttSeconds, .eventBusMessagesPerPage,
        .hazelcastBytesPerPage, .eventBusBytesPerPage, .bytesPerQueuedUrl,
        .bytesPerSeenUrl, .serializedBytesPerQueuedUrl, .migrationSecondsPerMiB,
        .coordinatorMicrosPerHostDecision, .coordinatorIntervalMs, .pageBytes
    optional: measured.realPagesPerSecond {"1": ..., "2": ...} (the real run, for the
        check), measured.serializedBytesPerSeenUrl (if the seen set migrates too).
    measured.cpuSecondsPerPage may also be a mapping by node count, {"1": ..., "3": ...},
        when it was measured per run; a node count without an entry gets the nearest one.

A missing key is reported by name and the script exits with status 2. `//` comments in
COSTS.json are tolerated.

--simulate: a discrete-event simulation (heapq, event by event) of the local scenario
as a closed queueing network. N crawler nodes and the test site share `machine.cores`
cores. Each node has capPerNode slots (requests in flight); each host allows
perHostConcurrency in flight cluster-wide. One slot's cycle per page: the site's delay
(no CPU), the site's CPU, the node's CPU, then frontierRoundTripsPerPage frontier round
trips (loopback RTT when the key's owner is another node, and owner CPU), after which
the slot fetches its next page. The cores are modelled as egalitarian processor
sharing: every runnable piece of CPU work gets min(1, cores / runnable) of a core, which
is how the OS time-slices many JVM and site threads over few cores. pages/s is taken
from the first fetch to 90% of the pages done, like the benchmark's "steady" figure.

--project: a capacity model for --nodes (100) nodes, --urls (1e9) URLs, --hosts (1e7)
hosts: frontier heap per node, network per node, frontier round trips, the budget
coordinator's load, the data moved when a node joins, and which per-node limit is
reached first. Each line carries its formula with the numbers filled in.

What it leaves out (so read the results as a lower bound on trouble, not a promise):
- real network latency, bandwidth and loss between machines: the simulation knows only
  the loopback RTT, the projection counts bytes, not latency;
- GC pauses, JIT warm-up and JVM start-up, except as averaged into CPU per page;
- DNS, TLS, robots.txt, redirects, errors and retries, politeness spacing, and the
  budget coordinator's decisions (per-host concurrency is fixed);
- link discovery: every page of a host is available from the start;
- skew: hot hosts or partitions, Hazelcast partition-thread queueing, uneven owners
  beyond the random assignment of hosts;
- disk and WARC writing, the benchmark's own polling, OS scheduling overhead, memory
  bandwidth and caches;
- failures, and migration's effect on crawl speed while it runs.
"""

import argparse
import heapq
import json
import math
import random
import sys

GIB = 1024 ** 3
MIB = 1024 ** 2


class CostsError(Exception):
    pass


# ---------------------------------------------------------------------------- input

def strip_line_comments(text):
    """Drops // comments outside strings. Hand-written COSTS files (and the example in
    docs) carry them; json does not accept them."""
    out, i, in_str, n = [], 0, False, len(text)
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif c == "/" and text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def load_costs(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise CostsError(f"cannot read {path}: {e}")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return json.loads(strip_line_comments(text))
    except json.JSONDecodeError as e:
        raise CostsError(f"{path} is not valid JSON: {e}")


class Costs:
    """Reads dotted keys and collects every missing or malformed one, so a user fixing
    the file sees all problems at once rather than one per run."""

    def __init__(self, data, path):
        self.data, self.path, self.errors = data, path, []

    def raw(self, dotted, required=True):
        node = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                if required:
                    self.errors.append(f"missing key '{dotted}'")
                return None
            node = node[part]
        # A benchmark writes null for what it could not measure (e.g. no coordinator
        # decisions in the window); that is as unusable as a missing key.
        if node is None and required:
            self.errors.append(f"key '{dotted}' is null (not measured)")
        return node

    def num(self, dotted, minimum=0.0, required=True):
        v = self.raw(dotted, required)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            self.errors.append(f"key '{dotted}' must be a number, got {v!r}")
            return None
        if v < minimum:
            self.errors.append(f"key '{dotted}' must be >= {minimum}, got {v}")
            return None
        return float(v)

    def int_(self, dotted, minimum=1):
        v = self.num(dotted, minimum)
        if v is None:
            return None
        if v != int(v):
            self.errors.append(f"key '{dotted}' must be a whole number, got {v}")
            return None
        return int(v)

    def by_nodes(self, dotted, required=True):
        """A number, or a mapping node count -> number. Returned as {int: float}, with
        key None for a plain number."""
        v = self.raw(dotted, required)
        if v is None:
            return None
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                try:
                    kk = int(k)
                except (TypeError, ValueError):
                    self.errors.append(f"key '{dotted}' has a non-integer node count {k!r}")
                    continue
                if isinstance(x, bool) or not isinstance(x, (int, float)) or x < 0:
                    self.errors.append(f"key '{dotted}.{k}' must be a number >= 0, got {x!r}")
                    continue
                out[kk] = float(x)
            if not out and required:
                self.errors.append(f"key '{dotted}' is an empty mapping")
            return out
        x = self.num(dotted)
        return None if x is None else {None: x}

    def check(self):
        if self.errors:
            # Both modes read some keys, so the same problem can be noted twice.
            raise CostsError(f"{self.path}: " + "; ".join(dict.fromkeys(self.errors)))


def for_nodes(mapping, n):
    if None in mapping:
        return mapping[None]
    # A node count the benchmark did not measure gets the closest one it did, ties to
    # the larger count (the more pessimistic cost, as CPU per page grows with N).
    best = min(mapping, key=lambda k: (abs(k - n), -k))
    return mapping[best]


# ------------------------------------------------------------------------ simulation

class SharedCpu:
    """Egalitarian processor sharing over `cores` identical cores, tracked in virtual
    time: every job present advances at the same rate, min(1, cores / jobs), so a job
    ends when the virtual clock has moved by its work since it arrived. That keeps
    each arrival and departure O(log n) instead of rescheduling every job."""

    def __init__(self, cores):
        self.cores = cores
        self.t = 0.0        # real time of the last update
        self.v = 0.0        # virtual time: CPU seconds each present job has received
        self.busy = 0.0     # core-seconds used so far
        self.jobs = []      # (virtual finish, seq, token)
        self.seq = 0

    def _rate(self):
        n = len(self.jobs)
        return 1.0 if n <= self.cores else self.cores / n

    def advance(self, t):
        dt = t - self.t
        if dt > 0 and self.jobs:
            self.v += dt * self._rate()
            self.busy += dt * min(len(self.jobs), self.cores)
        if t > self.t:
            self.t = t

    def add(self, now, work, token):
        self.advance(now)
        heapq.heappush(self.jobs, (self.v + work, self.seq, token))
        self.seq += 1

    def next_completion(self):
        if not self.jobs:
            return math.inf
        return self.t + max(0.0, self.jobs[0][0] - self.v) / self._rate()

    def pop(self, t):
        self.advance(t)
        fv, _, token = heapq.heappop(self.jobs)
        # Snap to the job's finish so float drift cannot make later jobs end early/late.
        self.v = max(self.v, fv)
        return token


# A slot's phases; the phase names what just finished when its event fires.
P_DELAY, P_SITE, P_NODE, P_RT_NET, P_RT_CPU = range(5)


def simulate_one(p, n, seed):
    rng = random.Random(f"{seed}/{n}")  # str seeds are hashed with SHA-512: stable across runs
    hosts, pages_per_host = p["hosts"], p["pagesPerHost"]
    cap, phc, cores = p["capPerNode"], p["perHostConcurrency"], p["cores"]
    delay = p["delayMs"] / 1000.0
    site_cpu, rtt, rt_cpu = p["siteCpu"], p["rtt"], p["rtCpu"]
    rts_mean = p["rtsPerPage"]
    cpu_total = for_nodes(p["cpuPerPage"], n)
    # cpuSecondsPerPage is all node-JVM CPU per page and so already contains the frontier
    # work; the round trips below add it back on the shared cores one by one, so the node
    # phase gets only the remainder, or the frontier CPU would be counted twice.
    node_cpu = max(0.0, cpu_total - rts_mean * rt_cpu)
    p_remote = (n - 1) / n
    total = hosts * pages_per_host
    target90 = math.ceil(0.9 * total)

    owner = [rng.randrange(n) for _ in range(hosts)]
    remaining = [pages_per_host] * hosts
    inflight = [0] * hosts
    # Per node, the hosts it owns that have pages left and a free per-host place, in
    # insertion order: a dict is an ordered set, and moving a host to the end after each
    # take gives the round-robin over ready keys that a node's KEY_READY queue gives.
    ready = [dict() for _ in range(n)]
    for h in range(hosts):
        if pages_per_host > 0 and phc > 0:
            ready[owner[h]][h] = None

    slots = n * cap
    slot_node = [s % n for s in range(slots)]  # interleaved, so nodes start evenly
    slot_host = [-1] * slots
    phase = [0] * slots
    rts_left = [0] * slots
    started = [0.0] * slots
    idle = [[] for _ in range(n)]
    idle_count = 0

    timers = []  # (time, seq, slot)
    seq = 0
    cpu = SharedCpu(cores)
    st = {"done": 0, "t90": None, "busy90": None, "tend": None, "cycle_sum": 0.0,
          "helped": 0, "remote_rts": 0, "rts": 0}

    def timer(t, s):
        nonlocal seq
        heapq.heappush(timers, (t, seq, s))
        seq += 1

    def run_cpu(now, work, s):
        if work > 0:
            cpu.add(now, work, s)
        else:
            timer(now, s)

    def pick(node):
        own = ready[node]
        if own:
            return next(iter(own)), False
        # No own work: help another node's hosts, as a node with free slots does.
        for k in range(1, n):
            other = ready[(node + k) % n]
            if other:
                return next(iter(other)), True
        return None, False

    def start(s, now):
        nonlocal idle_count
        node = slot_node[s]
        h, helped = pick(node)
        if h is None:
            idle[node].append(s)
            idle_count += 1
            return
        st["helped"] += helped
        r = ready[owner[h]]
        del r[h]
        remaining[h] -= 1
        inflight[h] += 1
        if remaining[h] > 0 and inflight[h] < phc:
            r[h] = None  # still ready: to the back of the owner's round robin
        slot_host[s] = h
        started[s] = now
        phase[s] = P_DELAY
        timer(now + delay, s)

    def wake(now, prefer):
        nonlocal idle_count
        # The owner's idle slots first, as the ready key is announced to the owner.
        for k in range(n):
            node = (prefer + k) % n
            while idle[node]:
                if pick(node)[0] is None:
                    return
                idle_count -= 1
                start(idle[node].pop(), now)

    def finish(s, now):
        h = slot_host[s]
        inflight[h] -= 1
        st["done"] += 1
        st["cycle_sum"] += now - started[s]
        if st["done"] == target90:
            cpu.advance(now)
            st["t90"], st["busy90"] = now, cpu.busy
        if st["done"] == total:
            st["tend"] = now
        # The per-host place is held until the frontier has taken the result (the lease
        # is released by the completing round trip), so it frees only now.
        if remaining[h] > 0 and inflight[h] == phc - 1:
            ready[owner[h]][h] = None
        start(s, now)
        if idle_count:
            wake(now, owner[h])

    def proceed(s, now):
        ph = phase[s]
        if ph == P_DELAY:
            phase[s] = P_SITE
            run_cpu(now, site_cpu, s)
            return
        if ph == P_SITE:
            phase[s] = P_NODE
            run_cpu(now, node_cpu, s)
            return
        if ph == P_NODE:
            # A fractional mean becomes floor or floor+1 round trips, keeping the mean.
            k = int(rts_mean)
            if rng.random() < rts_mean - k:
                k += 1
            rts_left[s] = k
        elif ph == P_RT_NET:
            phase[s] = P_RT_CPU
            run_cpu(now, rt_cpu, s)
            return
        # P_NODE or P_RT_CPU: the next round trip, or done.
        if rts_left[s] == 0:
            finish(s, now)
            return
        rts_left[s] -= 1
        st["rts"] += 1
        # A page's round trips touch the keys of the hosts its links point to, not only
        # its own host's, so the owner is taken at random: remote with (N-1)/N.
        if n > 1 and rng.random() < p_remote:
            st["remote_rts"] += 1
            phase[s] = P_RT_NET
            timer(now + rtt, s)
        else:
            phase[s] = P_RT_CPU
            run_cpu(now, rt_cpu, s)

    for s in range(slots):
        start(s, 0.0)

    while st["done"] < total:
        tt = timers[0][0] if timers else math.inf
        tc = cpu.next_completion()
        if tt == math.inf and tc == math.inf:
            raise RuntimeError(f"simulation stalled at {st['done']} of {total} pages")
        if tc <= tt:
            proceed(cpu.pop(tc), tc)
        else:
            t, _, s = heapq.heappop(timers)
            proceed(s, t)

    t90 = st["t90"] if st["t90"] else (st["tend"] or 0.0)
    busy90 = st["busy90"] if st["busy90"] is not None else cpu.busy
    pps = target90 / t90 if t90 > 0 else math.inf
    node_ceiling = cap / delay if delay > 0 else math.inf
    cycle_free = delay + site_cpu + node_cpu + rts_mean * (p_remote * rtt + rt_cpu)
    free_pps = min(n * cap, hosts * phc) / cycle_free if cycle_free > 0 else math.inf
    return {
        "nodes": n,
        "pagesPerSecond": pps,
        "pagesPerSecondPerNode": pps / n,
        "endToEndPagesPerSecond": total / st["tend"] if st["tend"] else math.inf,
        "nodeCeilingPagesPerSecond": node_ceiling,
        "shareOfCeiling": (pps / n) / node_ceiling if math.isfinite(node_ceiling) else None,
        "cpuUtilisation": busy90 / (cores * t90) if t90 > 0 else 0.0,
        "meanCycleMs": 1000.0 * st["cycle_sum"] / total if total else 0.0,
        "uncontendedPagesPerSecond": free_pps,
        "nodeCpuSecondsPerPage": node_cpu,
        "cpuSecondsPerPage": cpu_total,
        "pagesHelped": st["helped"],
        "remoteRoundTripShare": st["remote_rts"] / st["rts"] if st["rts"] else 0.0,
        "seconds90": t90,
    }


def sim_params(c):
    p = {
        "cores": c.int_("machine.cores"),
        "hosts": c.int_("scenario.hosts"),
        "pagesPerHost": c.int_("scenario.pagesPerHost"),
        "delayMs": c.num("scenario.delayMs"),
        "capPerNode": c.int_("scenario.capPerNode"),
        "perHostConcurrency": c.int_("scenario.perHostConcurrency"),
        "cpuPerPage": c.by_nodes("measured.cpuSecondsPerPage"),
        "siteCpu": c.num("measured.siteCpuSecondsPerPage"),
        "rtsPerPage": c.num("measured.frontierRoundTripsPerPage"),
        "rtCpu": c.num("measured.frontierCpuSecondsPerRoundTrip"),
        "rtt": c.num("measured.loopbackRttSeconds"),
    }
    nodes = c.raw("scenario.nodes")
    if nodes is not None:
        if (not isinstance(nodes, list) or not nodes
                or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in nodes)):
            c.errors.append(f"key 'scenario.nodes' must be a non-empty list of node counts >= 1, got {nodes!r}")
        p["nodes"] = nodes
    real = c.raw("measured.realPagesPerSecond", required=False)
    if real is not None and not isinstance(real, dict):
        c.errors.append("key 'measured.realPagesPerSecond' must be a mapping like {\"1\": 148.7}")
        real = None
    p["real"] = {}
    for k, v in (real or {}).items():
        try:
            p["real"][int(k)] = float(v)
        except (TypeError, ValueError):
            c.errors.append(f"key 'measured.realPagesPerSecond.{k}' must be a number, got {v!r}")
    return p


def simulate(p, seed):
    runs = []
    for n in p["nodes"]:
        r = simulate_one(p, n, seed)
        real = p["real"].get(n)
        r["realPagesPerSecond"] = real
        r["simulatedOverReal"] = r["pagesPerSecond"] / real if real else None
        runs.append(r)
    rt_note = None
    if any(r["nodeCpuSecondsPerPage"] == 0.0 and r["cpuSecondsPerPage"] > 0 for r in runs):
        rt_note = ("frontier CPU per page (round trips x CPU per round trip) exceeds "
                   "cpuSecondsPerPage; the node's own CPU was clamped to 0")
    return {"seed": seed, "params": {k: v for k, v in p.items() if k not in ("cpuPerPage", "real")},
            "cpuSecondsPerPage": {str(k) if k is not None else "all": v for k, v in p["cpuPerPage"].items()},
            "warning": rt_note, "runs": runs}


# ------------------------------------------------------------------------ projection

def g(x, unit=""):
    """Compact numbers for tables: about 4 significant digits, exponents for big and small."""
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        s = "inf"
    elif x == 0:
        s = "0"
    elif abs(x) >= 1e6 or abs(x) < 1e-3:
        m, e = f"{x:.3e}".split("e")
        m = m.rstrip("0").rstrip(".")
        s = f"{m}e{int(e)}"
    elif abs(x) >= 1e4:
        s = f"{x:,.0f}"
    else:
        s = f"{x:.4g}"
    return f"{s} {unit}".rstrip()


def project_inputs(c):
    m = {k: c.num("measured." + k) for k in (
        "bytesPerQueuedUrl", "bytesPerSeenUrl", "hazelcastBytesPerPage", "eventBusBytesPerPage",
        "eventBusMessagesPerPage", "frontierRoundTripsPerPage", "frontierCpuSecondsPerRoundTrip",
        "serializedBytesPerQueuedUrl", "migrationSecondsPerMiB",
        "coordinatorMicrosPerHostDecision", "pageBytes")}
    m["coordinatorIntervalMs"] = c.num("measured.coordinatorIntervalMs", minimum=1e-9)
    cpu_map = c.by_nodes("measured.cpuSecondsPerPage")
    seen_ser = c.num("measured.serializedBytesPerSeenUrl", required=False)
    real1 = c.num("measured.realPagesPerSecond.1", required=False)
    return m, cpu_map, seen_ser, real1


def project(inputs, a):
    m, cpu_map, seen_ser, real1 = inputs
    N, U, H = a.nodes, a.urls, a.hosts
    S = a.seen_urls if a.seen_urls is not None else U
    A = a.active_hosts if a.active_hosts is not None else H
    qf = a.queued_fraction
    if a.pages_per_second_per_node is not None:
        P, p_src = a.pages_per_second_per_node, "--pages-per-second-per-node"
    elif real1:
        P = real1
        p_src = "the one-node real run, measured.realPagesPerSecond.1"
    else:
        P, p_src = 3000.0, "the default, as the COSTS have no one-node real figure"
    # The biggest node count measured is the nearest to a large cluster's CPU per page.
    cpu_pp = for_nodes(cpu_map, N)
    Q = U * qf
    lines = []

    def line(section, key, value, unit, formula):
        lines.append({"section": section, "key": key, "value": value, "unit": unit,
                      "formula": formula})
        return value

    # Frontier heap. The per-URL byte figures were measured with one backup, so no
    # replica factor here.
    sec = "Frontier heap per node"
    bq, bs = m["bytesPerQueuedUrl"], m["bytesPerSeenUrl"]
    ram_node = (Q * bq + S * bs) / N
    line(sec, "queuedUrls", Q, "URLs", f"urls * queuedFraction = {g(U)} * {g(qf)}")
    line(sec, "frontierBytesPerNode", ram_node / GIB, "GiB",
         f"(queued * bytesPerQueuedUrl + seen * bytesPerSeenUrl) / nodes = "
         f"({g(Q)} * {g(bq)} + {g(S)} * {g(bs)}) / {N} B")
    per_url = qf * bq + (S / U if U else 0) * bs
    line(sec, "urlsPerGiB", GIB / per_url if per_url else math.inf, "URLs per GiB of heap",
         f"1 GiB / (queuedFraction * bytesPerQueuedUrl + seen/urls * bytesPerSeenUrl) = "
         f"{GIB} / ({g(qf)} * {g(bq)} + {g(S / U if U else 0)} * {g(bs)})")
    line(sec, "queuedUrlsPerGiB", GIB / bq if bq else math.inf, "queued URLs per GiB",
         f"1 GiB / bytesPerQueuedUrl = {GIB} / {g(bq)}")
    line(sec, "seenUrlsPerGiB", GIB / bs if bs else math.inf, "seen URLs per GiB",
         f"1 GiB / bytesPerSeenUrl = {GIB} / {g(bs)}")
    line(sec, "heapGiBPer100MUrlsPerNode", ram_node / GIB * 1e8 / U if U else 0.0, "GiB",
         f"frontier GiB per node * 1e8 / urls (at {N} nodes)")

    sec = "Network per node"
    hz, eb, pb = m["hazelcastBytesPerPage"], m["eventBusBytesPerPage"], m["pageBytes"]
    cluster_mbit = line(sec, "clusterTrafficMbps", (hz + eb) * P * 8 / 1e6, "Mbit/s",
                        f"(hazelcastBytesPerPage + eventBusBytesPerPage) * pages/s * 8 / 1e6 = "
                        f"({g(hz)} + {g(eb)}) * {g(P)} * 8 / 1e6; bytes as measured at the "
                        f"benchmark's node counts, where fewer operations were remote than the "
                        f"{g(100 * (N - 1) / N)}% at {N} nodes")
    content_mbit = line(sec, "contentMbps", pb * P * 8 / 1e6, "Mbit/s",
                        f"pageBytes * pages/s * 8 / 1e6 = {g(pb)} * {g(P)} * 8 / 1e6")
    nic_mbit = line(sec, "totalMbps", cluster_mbit + content_mbit, "Mbit/s",
                    "cluster traffic + fetched content")
    line(sec, "eventBusMessagesPerSecond", m["eventBusMessagesPerPage"] * P, "msg/s",
         f"eventBusMessagesPerPage * pages/s = {g(m['eventBusMessagesPerPage'])} * {g(P)}")

    sec = "Frontier round trips"
    rts = m["frontierRoundTripsPerPage"]
    rt_node = line(sec, "perNode", rts * P, "round trips/s",
                   f"frontierRoundTripsPerPage * pages/s = {g(rts)} * {g(P)}")
    line(sec, "cluster", rt_node * N, "round trips/s", f"per node * nodes = {g(rt_node)} * {N}")
    remote = (N - 1) / N
    line(sec, "remoteShare", remote, "", f"(nodes - 1) / nodes = {N - 1} / {N}")
    line(sec, "remotePerNode", rt_node * remote, "round trips/s", "per node * remote share")
    # Each node owns 1/N of the partitions, so on average it serves as many round trips
    # as it issues.
    line(sec, "ownerCpuPerNode", rt_node * m["frontierCpuSecondsPerRoundTrip"], "cores",
         f"per node * frontierCpuSecondsPerRoundTrip = {g(rt_node)} * "
         f"{g(m['frontierCpuSecondsPerRoundTrip'])}")
    node_cores = line(sec, "nodeCpu", cpu_pp * P, "cores",
                      f"cpuSecondsPerPage * pages/s = {g(cpu_pp)} * {g(P)} (frontier CPU included)")

    sec = "Coordinator (one node)"
    interval = m["coordinatorIntervalMs"] / 1000.0
    us = m["coordinatorMicrosPerHostDecision"]
    decisions = line(sec, "hostDecisionsPerSecond", A / interval, "decisions/s",
                     f"active hosts / (coordinatorIntervalMs / 1000) = {g(A)} / {g(interval)}")
    coord_cpu = line(sec, "cpu", decisions * us * 1e-6, "cores",
                     f"decisions/s * coordinatorMicrosPerHostDecision * 1e-6 = "
                     f"{g(decisions)} * {g(us)} * 1e-6")
    line(sec, "activeHostsForFullLimit",
         a.coordinator_cores * interval / (us * 1e-6) if us else math.inf, "hosts",
         f"coordinator cores * interval s / (micros * 1e-6) = "
         f"{g(a.coordinator_cores)} * {g(interval)} / ({g(us)} * 1e-6)")

    sec = f"Migration when node {N + 1} joins"
    replicas = 1 + a.backups
    sq = m["serializedBytesPerQueuedUrl"]
    frontier_ser = Q * sq * replicas
    ser_formula = f"queued * serializedBytesPerQueuedUrl * replicas = {g(Q)} * {g(sq)} * {replicas}"
    if seen_ser is not None:
        frontier_ser += S * seen_ser * replicas
        ser_formula += f" + seen * serializedBytesPerSeenUrl * replicas = {g(S)} * {g(seen_ser)} * {replicas}"
    else:
        ser_formula += " (seen set not counted: no serializedBytesPerSeenUrl in the COSTS)"
    line(sec, "frontierSerializedBytes", frontier_ser / GIB, "GiB", ser_formula)
    line(sec, "movedBytes", frontier_ser / (N + 1) / GIB, "GiB",
                 f"frontier serialized / (nodes + 1) = {g(frontier_ser)} / {N + 1} B")
    mig_s = line(sec, "seconds", frontier_ser / (N + 1) / MIB * m["migrationSecondsPerMiB"], "s",
                 f"moved MiB * migrationSecondsPerMiB = {g(frontier_ser / (N + 1) / MIB)} * "
                 f"{g(m['migrationSecondsPerMiB'])} (the measured rate, as if the moves ran one after another)")

    # Where each resource hits its assumed limit, and what it scales with.
    ranking = [
        {"resource": "frontier heap", "demand": ram_node / GIB, "limit": a.heap_gib, "unit": "GiB",
         "scalesWith": "urls", "at": U},
        {"resource": "NIC", "demand": nic_mbit, "limit": a.nic_gbps * 1000, "unit": "Mbit/s",
         "scalesWith": "pages/s per node", "at": P},
        {"resource": "coordinator CPU", "demand": coord_cpu, "limit": a.coordinator_cores,
         "unit": "cores", "scalesWith": "active hosts", "at": A},
        {"resource": "join migration", "demand": mig_s, "limit": a.migration_budget_s, "unit": "s",
         "scalesWith": "urls", "at": U},
        {"resource": "node CPU", "demand": node_cores, "limit": a.node_cores, "unit": "cores",
         "scalesWith": "pages/s per node", "at": P},
    ]
    for r in ranking:
        r["used"] = r["demand"] / r["limit"] if r["limit"] > 0 else math.inf
        r["headroom"] = r["limit"] / r["demand"] if r["demand"] > 0 else math.inf
        # All of these are linear in the quantity they scale with.
        r["limitReachedAt"] = r["at"] * r["headroom"]
        del r["at"]
    ranking.sort(key=lambda r: -r["used"])
    first, second = ranking[0], ranking[1]
    summary = (f"first limit: {first['resource']} at {100 * first['used']:.1f}% of "
               f"{g(first['limit'], first['unit'])}"
               + (f" (reached at {g(first['limitReachedAt'])} {first['scalesWith']})"
                  if first["used"] < 1 else
                  f" (over by x{first['used']:.2f}; fits only up to {g(first['limitReachedAt'])} "
                  f"{first['scalesWith']})")
               + f"; next: {second['resource']} at {100 * second['used']:.1f}%"
               + (f", so {first['resource']} binds x{first['used'] / second['used']:.1f} sooner"
                  if second["used"] > 0 else ""))
    return {
        "inputs": {"nodes": N, "urls": U, "seenUrls": S, "queuedFraction": qf, "hosts": H,
                   "activeHosts": A, "pagesPerSecondPerNode": P, "pagesPerSecondSource": p_src,
                   "cpuSecondsPerPage": cpu_pp, "backups": a.backups},
        "limits": {"heapGiB": a.heap_gib, "nicGbps": a.nic_gbps,
                   "coordinatorCores": a.coordinator_cores,
                   "migrationBudgetSeconds": a.migration_budget_s, "nodeCores": a.node_cores},
        "lines": lines, "ranking": ranking, "summary": summary,
    }


# ---------------------------------------------------------------------------- output

def print_simulation(res):
    p = res["params"]
    print("## Simulation of the local scenario")
    print()
    print(f"{p['hosts']} hosts x {p['pagesPerHost']} pages, {g(p['delayMs'])} ms per response, "
          f"{p['capPerNode']} in flight per node, {p['perHostConcurrency']} per host; "
          f"{p['cores']} cores shared by the nodes and the site (processor sharing); seed {res['seed']}.")
    cpp = res["cpuSecondsPerPage"]
    cpp = g(cpp["all"]) if "all" in cpp else ", ".join(f"{g(v)} at {k} node(s)" for k, v in cpp.items())
    print(f"CPU s per page: site {g(p['siteCpu'])}, nodes {cpp} (of which frontier "
          f"{g(p['rtsPerPage'])} round trips * {g(p['rtCpu'])} s, moved to the round trips); "
          f"loopback RTT {g(p['rtt'])} s.")
    if res["warning"]:
        print(f"Warning: {res['warning']}.")
    print()
    print("| nodes | simulated pages/s | per node | share of ceiling (cap/delay per node) "
          "| CPU utilisation | mean cycle, ms | no-contention pages/s | real pages/s | simulated/real |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in res["runs"]:
        share = f"{100 * r['shareOfCeiling']:.1f}% of {g(r['nodeCeilingPagesPerSecond'])}" \
            if r["shareOfCeiling"] is not None else "-"
        ratio = f"{r['simulatedOverReal']:.2f}" if r["simulatedOverReal"] else "-"
        print(f"| {r['nodes']} | {r['pagesPerSecond']:.1f} | {r['pagesPerSecondPerNode']:.1f} | {share} "
              f"| {100 * r['cpuUtilisation']:.1f}% | {r['meanCycleMs']:.1f} "
              f"| {r['uncontendedPagesPerSecond']:.1f} "
              f"| {g(r['realPagesPerSecond'])} | {ratio} |")
    print()
    print("pages/s: pages done from the first fetch to 90% of the pages, over that time. "
          "No-contention: N * cap / cycle time with unlimited cores, for comparison.")
    print()


def print_projection(res):
    i, lim = res["inputs"], res["limits"]
    print(f"## Capacity projection: {i['nodes']} nodes, {g(i['urls'])} URLs, {g(i['hosts'])} hosts")
    print()
    print(f"Seen URLs {g(i['seenUrls'])}, queued fraction {g(i['queuedFraction'])}, "
          f"active hosts {g(i['activeHosts'])}, {g(i['pagesPerSecondPerNode'])} pages/s per node "
          f"({i['pagesPerSecondSource']}), CPU per page {g(i['cpuSecondsPerPage'])} s, "
          f"{i['backups']} backup(s).")
    section = None
    for ln in res["lines"]:
        if ln["section"] != section:
            section = ln["section"]
            print()
            print(f"### {section}")
            print()
            print("| quantity | value | formula |")
            print("|---|---:|---|")
        print(f"| {ln['key']} | {g(ln['value'], ln['unit'])} | {ln['formula']} |")
    print()
    print(f"### First limit (assumed per node: {g(lim['heapGiB'])} GiB heap, {g(lim['nicGbps'])} Gbit/s NIC, "
          f"{g(lim['coordinatorCores'])} core(s) for the coordinator, {g(lim['migrationBudgetSeconds'])} s "
          f"migration budget, {g(lim['nodeCores'])} cores per node)")
    print()
    print("| rank | resource | demand | limit | used | headroom | limit reached at |")
    print("|---:|---|---:|---:|---:|---:|---|")
    for k, r in enumerate(res["ranking"], 1):
        print(f"| {k} | {r['resource']} | {g(r['demand'], r['unit'])} | {g(r['limit'], r['unit'])} "
              f"| {100 * r['used']:.1f}% | x{g(r['headroom'])} | {g(r['limitReachedAt'])} {r['scalesWith']} |")
    print()
    print(res["summary"] + ".")
    print()


def json_safe(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, list):
        return [json_safe(v) for v in x]
    return x


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Simulate Fleetcrawl's local scaling benchmark and project its capacity "
                    "from measured per-page costs.")
    ap.add_argument("costs", metavar="COSTS.json")
    ap.add_argument("--simulate", action="store_true", help="run the discrete-event simulation")
    ap.add_argument("--project", action="store_true", help="print the capacity projection")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON")
    ap.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")
    t = ap.add_argument_group("projection targets")
    t.add_argument("--nodes", type=int, default=100, help="cluster size (default 100)")
    t.add_argument("--urls", type=float, default=1e9, help="URLs in the frontier (default 1e9)")
    t.add_argument("--hosts", type=float, default=1e7, help="hosts (default 1e7)")
    t.add_argument("--seen-urls", type=float, default=None, help="URLs in the seen set (default: --urls)")
    t.add_argument("--queued-fraction", type=float, default=0.3,
                   help="share of the URLs still queued (default 0.3)")
    t.add_argument("--active-hosts", type=float, default=None,
                   help="hosts the coordinator decides on each interval (default: --hosts)")
    t.add_argument("--pages-per-second-per-node", type=float, default=None,
                   help="default: measured.realPagesPerSecond.1 if present, else 3000")
    t.add_argument("--backups", type=int, default=1,
                   help="backup replicas per partition, for migration (default 1)")
    lim = ap.add_argument_group("assumed per-node limits")
    lim.add_argument("--heap-gib", type=float, default=32.0, help="default 32")
    lim.add_argument("--nic-gbps", type=float, default=10.0, help="default 10")
    lim.add_argument("--coordinator-cores", type=float, default=1.0, help="default 1")
    lim.add_argument("--migration-budget-s", type=float, default=60.0, help="default 60")
    lim.add_argument("--node-cores", type=float, default=8.0, help="cores per node (default 8)")
    a = ap.parse_args(argv)

    if a.nodes < 1:
        ap.error("--nodes must be >= 1")
    if a.urls <= 0 or a.hosts <= 0:
        ap.error("--urls and --hosts must be > 0")
    if not 0 <= a.queued_fraction <= 1:
        ap.error("--queued-fraction must be between 0 and 1")
    if a.backups < 0:
        ap.error("--backups must be >= 0")
    if a.pages_per_second_per_node is not None and a.pages_per_second_per_node <= 0:
        ap.error("--pages-per-second-per-node must be > 0")
    if not (a.simulate or a.project):
        a.simulate = a.project = True

    try:
        data = load_costs(a.costs)
        if not isinstance(data, dict):
            raise CostsError(f"{a.costs}: the top level must be an object")
        # Both modes read first and report every bad key together, then compute.
        c = Costs(data, a.costs)
        sim_p = sim_params(c) if a.simulate else None
        proj_in = project_inputs(c) if a.project else None
        c.check()
        out = {}
        if a.simulate:
            out["simulate"] = simulate(sim_p, a.seed)
        if a.project:
            out["project"] = project(proj_in, a)
    except CostsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    if a.json:
        json.dump(json_safe(out), sys.stdout, indent=2)
        print()
        return 0
    if "simulate" in out:
        print_simulation(out["simulate"])
    if "project" in out:
        print_projection(out["project"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
