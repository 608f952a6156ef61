#!/usr/bin/env python3
"""CPU per 1,000 pages by stage, from a JDK Flight Recorder recording of a crawl.

    python3 bench/jfr_stages.py RECORDING.jfr PAGES [CPU_SECONDS]

Reads the recording with the JDK's own `jfr` tool (no other dependency):

* jdk.ThreadCPULoad (sampled per thread every second by bench/profile-crawl.sh's settings) gives
  each Java thread's CPU time; the JIT compilers ("C1/C2 CompilerThread") are a stage of their
  own. The garbage collector's threads are not Java threads and have no load events: GC is the
  sum of the collections' pauses (jdk.GarbageCollection) times the collector's parallel threads
  (jdk.GCConfiguration), exact for the stop-the-world Parallel collector the benchmark uses.
* jdk.ExecutionSample stacks split the CPU of every other thread (event loops, Hazelcast's
  partition threads, Vert.x workers) among the crawler's stages. A sample goes to the first stage
  in STAGES any frame of its stack belongs to, so the order below is a priority: TLS work called
  from Netty is TLS, a JSON codec called from the result sink is result writing. Samples only see
  threads running Java code; CPU spent in system calls (epoll, socket reads and writes) has no
  sample and is spread over the stages in proportion to their samples, with "network I/O
  (Netty)" taking what Netty's own frames hold.

With CPU_SECONDS (the process's user+system time from /usr/bin/time), the figures are scaled to it
and the part JFR's thread loads did not account for is reported as "unattributed".
"""
import json
import subprocess
import sys
from collections import Counter, defaultdict

# (stage, class-name prefixes), in priority order.
STAGES = [
    # Not sun.security.provider: the WARC digests (SHA-1) are result writing's.
    ("TLS", ("sun.security.ssl.", "javax.net.ssl.", "javax.crypto.", "com.sun.crypto.",
             "io.netty.handler.ssl.")),
    ("parsing (jsoup, links, URL normalisation)", ("org.jsoup.", "io.fleetcrawl.parse.",
                                                    "crawlercommons.filters.",
                                                    "crawlercommons.domains.")),
    ("robots.txt", ("io.fleetcrawl.robots.", "crawlercommons.robots.")),
    ("result writing (JSONL, WARC, CDXJ)", ("io.fleetcrawl.output.", "org.netpreserve.jwarc.")),
    ("frontier (entry processors, HostQueue)", ("io.fleetcrawl.frontier.",
                                                "com.hazelcast.map.impl.operation.",
                                                "com.hazelcast.map.impl.recordstore.")),
    ("URL intake and scope", ("io.fleetcrawl.intake.", "io.fleetcrawl.scope.",
                              "io.fleetcrawl.network.")),
    ("event bus", ("io.vertx.core.eventbus.", "io.vertx.core.impl.eventbus.",
                   "io.fleetcrawl.bus.")),
    ("fetching (HTTP client, pool, body decoding)", ("io.vertx.core.http.",
                                                      "io.vertx.ext.web.client.",
                                                      "io.vertx.core.net.",
                                                      "io.netty.handler.codec.",
                                                      "io.fleetcrawl.pool.",
                                                      "io.fleetcrawl.session.",
                                                      "com.aayushatharva.brotli4j.")),
    ("worker loop (claims, outcomes)", ("io.fleetcrawl.worker.", "io.fleetcrawl.ratecontrol.",
                                        "io.fleetcrawl.metrics.", "io.micrometer.")),
    ("Hazelcast (cluster, partitions, serialisation)", ("com.hazelcast.",)),
    ("network I/O (Netty)", ("io.netty.",)),
]
REST = "the rest (JDK, Vert.x core, logging)"
GC = "GC"
JIT = "JIT compilers"


def jfr_json(path, events):
    out = subprocess.run(
        ["jfr", "print", "--json", "--stack-depth", "96", "--events", events, path],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)["recording"]["events"]


def thread_kind(name):
    if name.startswith(("GC Thread", "VM Thread", "G1 ", "GC ")):
        return GC
    if "CompilerThread" in name:
        return JIT
    return None


def stage_of(frames):
    # jfr --json names classes in their internal form (org/jsoup/Jsoup).
    names = [f["method"]["type"]["name"].replace("/", ".") for f in frames]
    for stage, prefixes in STAGES:
        if any(n.startswith(prefixes) for n in names):
            return stage
    return REST


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    path, pages = sys.argv[1], int(sys.argv[2])
    process_cpu = float(sys.argv[3]) if len(sys.argv) > 3 else None

    # Per-thread CPU seconds: each event covers one period of one thread, as a share of the
    # machine (all cores); the period is the time since the thread's previous event.
    loads = jfr_json(path, "jdk.ThreadCPULoad")
    cpus = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or 1)
    per_thread = defaultdict(float)
    last_seen = {}
    for e in loads:
        thread = e["values"]["eventThread"]
        name = thread["javaName"] or thread["osName"] or "?"
        key = (name, thread.get("osThreadId"))
        t = e["values"]["startTime"]
        # ISO times: seconds since the first sample of this thread, from the timestamps' fields.
        secs = iso_seconds(t)
        prev = last_seen.get(key)
        last_seen[key] = secs
        if prev is None:
            continue
        load = e["values"]["user"] + e["values"]["system"]
        per_thread[name] += load * cpus * (secs - prev)

    cpu = Counter()
    for name, secs in per_thread.items():
        cpu[thread_kind(name) or "java"] += secs
    gc_threads = max((e["values"]["parallelGCThreads"]
                      for e in jfr_json(path, "jdk.GCConfiguration")), default=1)
    pauses = sum(duration_seconds(e["values"]["sumOfPauses"])
                 for e in jfr_json(path, "jdk.GarbageCollection"))
    cpu[GC] += pauses * gc_threads

    samples = jfr_json(path, "jdk.ExecutionSample")
    by_stage = Counter()
    for e in samples:
        name = e["values"]["sampledThread"]["javaName"] or ""
        if thread_kind(name):
            continue
        by_stage[stage_of(e["values"]["stackTrace"]["frames"])] += 1
    total_samples = sum(by_stage.values()) or 1

    rows = []
    for stage, _ in STAGES:
        rows.append((stage, cpu["java"] * by_stage[stage] / total_samples))
    rows.append((REST, cpu["java"] * by_stage[REST] / total_samples))
    rows.append((GC, cpu[GC]))
    rows.append((JIT, cpu[JIT]))
    accounted = sum(r[1] for r in rows)
    scale = 1.0
    if process_cpu is not None and accounted > 0:
        rows.append(("unattributed (process CPU JFR's thread loads missed)",
                     max(0.0, process_cpu - accounted)))
    print(f"| stage | CPU s per 1,000 pages | share | samples |")
    print(f"| --- | ---: | ---: | ---: |")
    total = sum(r[1] for r in rows) * scale
    for stage, secs in rows:
        n = by_stage.get(stage, "")
        print(f"| {stage} | {secs * 1000 / pages:.3f} | {100 * secs / total:.1f}% | {n} |")
    print(f"| **total** | **{total * 1000 / pages:.3f}** | | {total_samples} |")
    print()
    print(f"pages {pages}; thread CPU from JFR {accounted:.1f} s"
          + (f"; process CPU {process_cpu:.1f} s" if process_cpu is not None else ""))


def duration_seconds(value):
    # jfr --json writes durations as ISO-8601 ("PT0.004123S") or as nanoseconds.
    if isinstance(value, (int, float)):
        return value / 1e9
    text = value.upper().lstrip("PT")
    seconds = 0.0
    for unit, factor in (("H", 3600), ("M", 60), ("S", 1)):
        if unit in text:
            part, text = text.split(unit, 1)
            seconds += float(part) * factor
    return seconds


def iso_seconds(text):
    # "2026-12-01T03:20:01.123456789Z" (jfr --json); time of day is enough within one run.
    clock = text.split("T", 1)[1].rstrip("Z")
    clock = clock.split("+", 1)[0]
    h, m, s = clock.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


if __name__ == "__main__":
    main()
