#!/usr/bin/env python3
"""Generate a deterministic static multi-host site for crawl benchmarks.

Layout written under --out:

    <ip>/index.html          small entry page linking to /p/0.html
    <ip>/p/<i>.html          ~10 KB pages, ~20 links each
    <ip>/robots.txt          allows everything except /private/

Every page i links to i+1 (mod P), so following links from /p/0.html
reaches every page of a host whatever order a crawler uses. The other
links are a fixed mix of near neighbours, seeded pseudo-random pages of the
same host, one or two pages on other hosts, and now and then a
/private/ link. Those /private/ links point at files that do not exist:
a crawler that ignores robots.txt pays for extra 404s, so obeying robots
shows up in the numbers.

With --nginx-conf the script also writes an nginx config serving each host
directory on its own loopback IP, with pid/log/temp paths under --run-dir
so nothing of the system nginx is touched.

Stdlib only, and the output depends only on the arguments (fixed seeds),
so runs on different days crawl byte-identical sites.
"""

import argparse
import ipaddress
import os
import random
import subprocess
import sys

# Neighbours i+1..i+NEIGHBOURS: i+1 guarantees reachability, the others give
# the short-range locality real sites have (pagination, "next article").
NEIGHBOURS = 3
# Same-host pseudo-random links: spread the frontier so a crawler sees many
# new URLs per page instead of walking one long chain.
RANDOM_SAME_HOST = 14
# One /private/ link every PRIVATE_EVERY pages, spread over a few distinct URLs.
PRIVATE_EVERY = 10
PRIVATE_DISTINCT = 5
TARGET_BYTES = 10 * 1024

WORDS = (
    "crawler frontier politeness robots fetch parse extract link queue host "
    "verticle event loop backpressure latency throughput keepalive socket "
    "buffer charset redirect canonical sitemap anchor document index shard "
    "scheduler worker budget delay retry timeout content length header body "
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod "
    "tempor incididunt ut labore et dolore magna aliqua enim minim veniam"
).split()


def build_paragraph_pool(n=256, seed=12345):
    """Pre-built filler: building text per page would dominate run time for 40k pages."""
    rng = random.Random(seed)
    pool = []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(45, 75))]
        words[0] = words[0].capitalize()
        pool.append(" ".join(words) + ".")
    return pool


def host_ips(first_ip, hosts):
    first = ipaddress.IPv4Address(first_ip)
    last = first + (hosts - 1)
    if not (first.is_loopback and last.is_loopback) or int(last) & 0xFF in (0, 255):
        sys.exit(f"generate-site: hosts {first}..{last} must stay inside 127.0.0.0/8 "
                 "with a last octet of 1..254")
    return [str(first + k) for k in range(hosts)]


def page_links(h, i, ips, pages, port, rng):
    """Return (href, text) pairs for page i of host h, in page order."""
    links = [(f"/p/{(i + d) % pages}.html", f"next {d}") for d in range(1, NEIGHBOURS + 1)]
    for _ in range(RANDOM_SAME_HOST):
        j = rng.randrange(pages)
        links.append((f"/p/{j}.html", f"see page {j}"))
    if len(ips) > 1:
        # Always one link to the next host, sometimes one to a random other
        # host: the crawler must juggle several hosts' politeness queues.
        others = [ips[(h + 1) % len(ips)]]
        if rng.random() < 0.5:
            others.append(ips[rng.choice([k for k in range(len(ips)) if k != h])])
        for ip in others:
            j = rng.randrange(pages)
            links.append((f"http://{ip}:{port}/p/{j}.html", f"elsewhere {ip} {j}"))
    if i % PRIVATE_EVERY == 0:
        links.append((f"/private/{(i // PRIVATE_EVERY) % PRIVATE_DISTINCT}.html", "members only"))
    # Shuffle with the page's own RNG so link order is stable but not sorted;
    # the i+1 link still exists, only its position varies.
    rng.shuffle(links)
    return links


def render_page(h, i, ip, ips, pages, port, pool):
    # Seed per (host, page) so any single page can be regenerated in isolation
    # and does not depend on generation order.
    rng = random.Random(h * 1_000_003 + i)
    links = page_links(h, i, ips, pages, port, rng)
    head = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>Host {ip} page {i}</title>\n"
        f"<link rel=\"canonical\" href=\"/p/{i}.html\">\n</head>\n<body>\n"
        f"<h1>Page {i} of {ip}</h1>\n"
    )
    tail = "<footer><a href=\"/index.html\">home</a></footer>\n</body>\n</html>\n"
    parts = [head]
    size = len(head) + len(tail)
    # Interleave links with paragraphs, like article bodies do, then pad with
    # plain paragraphs up to the target size.
    li = 0
    while size < TARGET_BYTES or li < len(links):
        para = pool[rng.randrange(len(pool))]
        if li < len(links):
            href, text = links[li]
            li += 1
            chunk = f"<p>{para} <a href=\"{href}\">{text}</a></p>\n"
        else:
            chunk = f"<p>{para}</p>\n"
        parts.append(chunk)
        size += len(chunk)
    parts.append(tail)
    return "".join(parts)


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def generate_site(out, ips, pages, port):
    pool = build_paragraph_pool()
    robots = "User-agent: *\nDisallow: /private/\nAllow: /\n"
    for h, ip in enumerate(ips):
        pdir = os.path.join(out, ip, "p")
        os.makedirs(pdir, exist_ok=True)
        write(os.path.join(out, ip, "robots.txt"), robots)
        write(os.path.join(out, ip, "index.html"),
              "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
              f"<title>{ip}</title></head><body><a href=\"/p/0.html\">start</a></body></html>\n")
        for i in range(pages):
            write(os.path.join(pdir, f"{i}.html"), render_page(h, i, ip, ips, pages, port, pool))


def nginx_missing_modules(nginx_bin):
    """Temp-path directives of modules built --without-* are unknown directives, so skip them."""
    try:
        v = subprocess.run([nginx_bin, "-V"], capture_output=True, text=True, check=False).stderr
    except OSError:
        v = ""
    return {m for m in ("proxy", "fastcgi", "uwsgi", "scgi") if f"--without-http_{m}_module" in v}


def nginx_conf(out, ips, port, run_dir, nginx_bin):
    out = os.path.abspath(out)
    run_dir = os.path.abspath(run_dir)
    lines = [
        "# Generated by bench/site/generate-site.py; lives only in the bench run dir.",
        # One worker so nginx takes at most one of the two cores and the crawler
        # under test keeps the other.
        "worker_processes 1;",
        # Foreground: the bench script starts it as its own child and can always
        # find and stop exactly that process.
        "daemon off;",
        f"pid {run_dir}/nginx.pid;",
        f"error_log {run_dir}/error.log warn;",
    ]
    if os.geteuid() == 0:
        # As root, workers would otherwise run as the compiled-in default user.
        # nobody can read the site because the bench script makes the run dir
        # world-readable; nothing here is writable by nginx's workers.
        lines.append("user nobody nogroup;")
    lines += [
        "events { worker_connections 4096; }",
        "http {",
        "    access_log off;",
        # A crawler reuses connections; the defaults (75 s, 1000 requests) would
        # make a fast crawler reconnect every 1000 pages and skew the numbers.
        "    keepalive_timeout 65;",
        "    keepalive_requests 100000;",
        "    sendfile on;",
        "    tcp_nopush on;",
        "    server_tokens off;",
        "    types { text/html html; text/plain txt; }",
        "    default_type application/octet-stream;",
        f"    client_body_temp_path {run_dir}/tmp/client_body;",
    ]
    missing = nginx_missing_modules(nginx_bin)
    for m in ("proxy", "fastcgi", "uwsgi", "scgi"):
        if m not in missing:
            lines.append(f"    {m}_temp_path {run_dir}/tmp/{m};")
    for ip in ips:
        lines += [
            "    server {",
            f"        listen {ip}:{port};",
            f"        server_name {ip};",
            f"        root {out}/{ip};",
            "        index index.html;",
            "    }",
        ]
    lines.append("}")
    os.makedirs(os.path.join(run_dir, "tmp"), exist_ok=True)
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="directory to write the site into")
    ap.add_argument("--hosts", type=int, default=8)
    ap.add_argument("--pages", type=int, default=5000, help="pages per host")
    ap.add_argument("--port", type=int, default=18080)
    ap.add_argument("--first-ip", default="127.0.0.21",
                    help="IP of host 0; the others take consecutive last octets")
    ap.add_argument("--nginx-conf", help="also write an nginx config serving the site here")
    ap.add_argument("--run-dir", help="pid/log/temp dir for nginx (default: dir of --nginx-conf)")
    ap.add_argument("--nginx-bin", default="nginx", help="nginx binary to probe for modules")
    ap.add_argument("--seeds", help="also write one root URL per host to this file")
    a = ap.parse_args()
    if a.hosts < 1 or a.pages < 2:
        sys.exit("generate-site: need --hosts >= 1 and --pages >= 2")

    ips = host_ips(a.first_ip, a.hosts)
    generate_site(a.out, ips, a.pages, a.port)
    if a.seeds:
        write(a.seeds, "".join(f"http://{ip}:{a.port}/p/0.html\n" for ip in ips))
    if a.nginx_conf:
        run_dir = a.run_dir or os.path.dirname(os.path.abspath(a.nginx_conf))
        write(a.nginx_conf, nginx_conf(a.out, ips, a.port, run_dir, a.nginx_bin))


if __name__ == "__main__":
    main()
