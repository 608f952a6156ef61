#!/usr/bin/env python3
"""Figures for bench/rate-bench.sh (stdlib only).

    analyse.py row --access-log F --rate R --duration D --crawler NAME --nodes N
                   [--fc-out DIR | --scrapy-log LOG ...] [--note TEXT ...]   > row.json
    analyse.py table [--series] ROW.json ...                                 (markdown)
    analyse.py summary ROW.json                                              (one line)

The rate figures come from nginx's access log only (format '$msec $status $request_time'), over
[t0, t0 + D) where t0 is the first request answered 200 or 429; other statuses (robots.txt is a
404) are left out. Times are handled in integer milliseconds.

- goodput: 200s per second over [t0 + 10, t0 + D), and as a share of the permitted rate R.
- 429 share: 429 / (200 + 429), over [t0 + 10, t0 + D) and over the whole window.
- whole crawl: from t0 to the last 200 or 429 in the window, its length and goodput (200s over
  that length, the first seconds included), and as a share of R: the gentle start's cost. With a
  site the crawl exhausts inside the window (PAGES small enough) it is the whole crawl.
- converged at: the earliest second s (from t0) such that every 10-second window [w, w + 10),
  w = s, s + 1, ... with w + 10 <= D, has goodput >= 90% of R, and the 429 share over
  [s, D) is <= 2%; "not converged" when there is no such s.

Given up: for Fleetcrawl, the result lines (every *.jsonl under the out dir) whose status is not
200 (an error line has status null), after dropping retraction lines and the earlier line each
one cancels in its file. For Scrapy, the stat retry/max_reached summed over the processes' stats
dumps; when a dump is missing (the process was killed) the figure is marked as incomplete.
"""

import argparse
import collections
import json
import os
import re
import sys

ALLOWANCE_S = 10
WINDOW_S = 10
MAX_SHARE = 0.02
MIN_GOODPUT = 0.90


def ms(stamp):
    sec, _, frac = stamp.partition(".")
    return int(sec) * 1000 + int((frac + "000")[:3])


def nginx_figures(path, rate, duration):
    entries = []
    with open(path, encoding="ascii", errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2 or parts[1] not in ("200", "429"):
                continue
            try:
                entries.append((ms(parts[0]), parts[1] == "200"))
            except ValueError:
                continue
    if not entries:
        return None
    t0 = min(t for t, _ in entries)
    last = max((t for t, _ in entries if t - t0 < duration * 1000), default=t0)
    whole_s = max(0.001, (last - t0) / 1000)
    ok = [0] * duration
    limited = [0] * duration
    for t, is_ok in entries:
        second = (t - t0) // 1000
        if second >= duration:
            continue
        if is_ok:
            ok[second] += 1
        else:
            limited[second] += 1

    def share(a, b):
        return b / (a + b) if a + b else None

    after = slice(min(ALLOWANCE_S, duration), duration)
    ok_after, limited_after = sum(ok[after]), sum(limited[after])
    span = duration - ALLOWANCE_S
    goodput = ok_after / span if span > 0 else None
    # Converged at s: from s on, every window's goodput is within 10% of the rate and the 429
    # share of everything from s to the end is at most 2% (the target is a share "after
    # convergence"; one probe above the limit may put a single window a little over 2%).
    last_bad = -1
    for w in range(0, duration - WINDOW_S + 1):
        if sum(ok[w : w + WINDOW_S]) / WINDOW_S < MIN_GOODPUT * rate:
            last_bad = w
    converged = None
    for s in range(last_bad + 1, duration - WINDOW_S + 1):
        if (share(sum(ok[s:]), sum(limited[s:])) or 0) <= MAX_SHARE:
            converged = s
            break
    return {
        "t0_ms": t0,
        "ok": sum(ok),
        "limited": sum(limited),
        "goodput": goodput,
        "permitted_pct": 100 * goodput / rate if goodput is not None else None,
        "share_after": share(ok_after, limited_after),
        "share_all": share(sum(ok), sum(limited)),
        "converged_s": converged,
        "whole_s": whole_s,
        "goodput_whole": sum(ok) / whole_s,
        "permitted_whole_pct": 100 * sum(ok) / whole_s / rate,
        "per_second_ok": ok,
        "per_second_429": limited,
    }


def fleetcrawl_given_up(out_dir):
    results = []
    files = 0
    for root, _, names in os.walk(out_dir):
        for name in sorted(names):
            if not name.endswith(".jsonl"):
                continue
            files += 1
            kept = []  # this file's results, in order; None where retracted
            latest = {}  # url -> index in kept of its latest live line
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as f:
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        doc = json.loads(line)
                    except ValueError:
                        continue  # a line cut short by a kill
                    if doc.get("retracted"):
                        i = latest.pop(doc.get("url"), None)
                        if i is not None:
                            kept[i] = None
                        continue
                    latest[doc.get("url")] = len(kept)
                    kept.append(doc)
            results.extend(d for d in kept if d is not None)
    why = collections.Counter()
    for doc in results:
        if doc.get("status") != 200:
            why[str(doc.get("status")) if doc.get("status") is not None else doc.get("error")] += 1
    return {
        "files": files,
        "lines": len(results),
        "given_up": sum(why.values()),
        "why": dict(why.most_common(4)),
    }


STAT = re.compile(r"'([a-z_/0-9]+)': (\d+|'[^']*')")


def scrapy_stats(log):
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    at = text.rfind("Dumping Scrapy stats:")
    if at < 0:
        return None
    return {k: (int(v) if v.isdigit() else v.strip("'")) for k, v in STAT.findall(text[at:])}


def cmd_row(a):
    row = {
        "rate": a.rate,
        "burst": a.burst,
        "duration": a.duration,
        "crawler": a.crawler,
        "nodes": a.nodes,
        "notes": list(a.note or []),
    }
    fig = nginx_figures(a.access_log, a.rate, a.duration) if os.path.exists(a.access_log) else None
    if fig is None:
        row["notes"].append("nginx logged no 200 or 429")
    row["nginx"] = fig
    if a.fc_out is not None:
        fc = fleetcrawl_given_up(a.fc_out)
        row["given_up"] = str(fc["given_up"]) if fc["files"] else "n/a"
        why = ", ".join(f"{k} x{v}" for k, v in fc["why"].items())
        row["notes"].append(
            f"{fc['lines']} result lines in {fc['files']} files" + (f"; not 200: {why}" if why else "")
        )
    elif a.scrapy_log:
        total, missing, retries, got429 = 0, [], 0, 0
        for k, log in enumerate(a.scrapy_log, 1):
            stats = scrapy_stats(log)
            if stats is None:
                missing.append(k)
                continue
            total += stats.get("retry/max_reached", 0)
            retries += stats.get("retry/count", 0)
            got429 += stats.get("downloader/response_status_count/429", 0)
        if len(missing) == len(a.scrapy_log):
            row["given_up"] = "n/a"
        else:
            row["given_up"] = f">= {total}" if missing else str(total)
            row["notes"].append(f"scrapy stats: retry/count {retries}, 429 responses {got429}")
        if missing:
            row["notes"].append(
                "no stats dump from process " + ", ".join(map(str, missing)) + " (killed?)"
            )
    else:
        row["given_up"] = "n/a"
    json.dump(row, sys.stdout)
    print()


def pct(x, digits=2):
    return "n/a" if x is None else f"{100 * x:.{digits}f}%"


def cmd_table(a):
    rows = []
    for path in a.rows:
        with open(path, encoding="utf-8") as f:
            rows.append(json.load(f))
    print(
        "| rate r/s (burst) | crawler | nodes | goodput pages/s | % of permitted rate"
        " | 429 share after 10 s | 429 share overall | converged at (s) | 200s | 429s"
        " | whole crawl (s) | whole crawl: % of permitted rate | given up | notes |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    goodput = {}
    for r in rows:
        n = r["nginx"]
        if n:
            goodput[(r["rate"], r["crawler"], r["nodes"])] = n["goodput"]
            cells = [
                "n/a" if n["goodput"] is None else f"{n['goodput']:.1f}",
                "n/a" if n["permitted_pct"] is None else f"{n['permitted_pct']:.1f}%",
                pct(n["share_after"]),
                pct(n["share_all"]),
                "not converged" if n["converged_s"] is None else str(n["converged_s"]),
                str(n["ok"]),
                str(n["limited"]),
                f"{n['whole_s']:.1f}" if "whole_s" in n else "n/a",
                f"{n['permitted_whole_pct']:.1f}%" if "whole_s" in n else "n/a",
            ]
        else:
            cells = ["n/a"] * 9
        notes = "; ".join(r["notes"]).replace("|", "/")
        print(
            f"| {r['rate']} ({r['burst']}) | {r['crawler']} | {r['nodes']} | "
            + " | ".join(cells)
            + f" | {r['given_up']} | {notes} |"
        )
    print()
    seen = []
    for r in rows:
        key = (r["rate"], r["nodes"])
        if key in seen:
            continue
        seen.append(key)
        fc = goodput.get((r["rate"], "fleetcrawl", r["nodes"]))
        sc = goodput.get((r["rate"], "scrapy", r["nodes"]))
        ratio = f"{fc / sc:.2f}x" if fc is not None and sc else "n/a"
        n = r["nodes"]
        print(
            f"- Fleetcrawl/Scrapy goodput at {r['rate']} r/s, {n} node{'s' if n > 1 else ''}"
            f" / {n} process{'es' if n > 1 else ''}: {ratio}"
        )
    if a.series:
        print()
        print("Per-second answers from t0 (200s / 429s), one line per crawl:")
        print()
        print("```")
        for r in rows:
            n = r["nginx"]
            if n:
                pairs = " ".join(f"{o}/{l}" for o, l in zip(n["per_second_ok"], n["per_second_429"]))
                print(f"{r['rate']} r/s {r['crawler']} x{r['nodes']}: {pairs}")
        print("```")


def cmd_summary(a):
    with open(a.row, encoding="utf-8") as f:
        r = json.load(f)
    n = r["nginx"] or {}
    goodput = n.get("goodput")
    share = n.get("share_after")
    print(
        f"[rate-bench]   {r['crawler']} x{r['nodes']} at {r['rate']} r/s: goodput "
        + ("n/a" if goodput is None else f"{goodput:.1f}/s")
        + ", 429 share after 10 s "
        + pct(share)
        + ", 429 share overall "
        + pct(n.get("share_all"))
        + (
            f", whole crawl {n['whole_s']:.1f} s at {n['permitted_whole_pct']:.1f}% of the rate"
            if "whole_s" in n
            else ""
        )
        + f", 200s {n.get('ok', 'n/a')}, 429s {n.get('limited', 'n/a')}, given up {r['given_up']}"
        + ("; " + "; ".join(r["notes"]) if r["notes"] else "")
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("row")
    r.add_argument("--access-log", required=True)
    r.add_argument("--rate", type=int, required=True)
    r.add_argument("--burst", type=int, required=True)
    r.add_argument("--duration", type=int, required=True)
    r.add_argument("--crawler", required=True)
    r.add_argument("--nodes", type=int, required=True)
    r.add_argument("--fc-out")
    r.add_argument("--scrapy-log", nargs="+")
    r.add_argument("--note", action="append")
    r.set_defaults(fn=cmd_row)
    t = sub.add_parser("table")
    t.add_argument("--series", action="store_true", help="also print per-second counts")
    t.add_argument("rows", nargs="+")
    t.set_defaults(fn=cmd_table)
    s = sub.add_parser("summary")
    s.add_argument("row")
    s.set_defaults(fn=cmd_summary)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
