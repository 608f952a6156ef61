#!/usr/bin/env python3
"""Static tree site for bench/rate-bench.sh (stdlib only).

    site.py --out DIR --pages N            writes DIR/p/0 .. DIR/p/(N-1)
    site.py --pages N --reach 1 2 3        prints how many pages each seed reaches

Page /p/n links to /p/(5n+1) .. /p/(5n+5), the ones below N, so /p/1, /p/2 and /p/3 root
disjoint subtrees. Each page carries about 1.2 KB of fixed filler text, so the pages are small
and nginx is never the bottleneck. The output depends only on N.
"""

import argparse
import os
import sys

FILLER = (
    "Rate limit benchmark page. The crawler fetches it, reads the five links below and queues "
    "them; nginx limit_req decides whether it gets the page or a 429. "
) * 8


def children(n, pages):
    return [c for c in range(5 * n + 1, 5 * n + 6) if c < pages]


def reach(seed, pages):
    """Pages in the subtree rooted at seed (the seed included)."""
    count, level = 0, [seed]
    while level:
        count += len(level)
        level = [c for n in level for c in children(n, pages)]
    return count


def write(out, pages):
    d = os.path.join(out, "p")
    os.makedirs(d, exist_ok=True)
    for n in range(pages):
        links = "".join(f'<li><a href="/p/{c}">page {c}</a></li>' for c in children(n, pages))
        html = (
            f"<!doctype html><html><head><title>page {n}</title></head><body>"
            f"<h1>page {n}</h1><p>{FILLER}</p><ul>{links}</ul></body></html>\n"
        )
        with open(os.path.join(d, str(n)), "w", encoding="ascii") as f:
            f.write(html)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, required=True)
    ap.add_argument("--out")
    ap.add_argument("--reach", type=int, nargs="+", metavar="SEED")
    a = ap.parse_args()
    if a.pages < 10:
        sys.exit("--pages must be at least 10")
    if a.out:
        write(a.out, a.pages)
    if a.reach:
        print(" ".join(str(reach(s, a.pages)) for s in a.reach))


if __name__ == "__main__":
    main()
