#!/usr/bin/python3
"""aiohttp baseline for bench/pool-bench.sh.

Fetches every URL in --urls (GET, body read and thrown away) with at most
--concurrency requests in flight, through one aiohttp ClientSession, and
prints exactly one JSON line on stdout, the same contract as
`fleetcrawl fetch-bench`:

  {"requests":N,"ok":N,"errors":N,"seconds":S,"requestsPerSecond":R,
   "connectionsOpened":K,"reusedShare":F,"protocol":"HTTP/1.1"}

- connectionsOpened: connections the connector opened (TraceConfig
  on_connection_create_end). Through a proxy each one is a CONNECT tunnel.
- reusedShare: requests that got an already open pooled connection
  (on_connection_reuseconn) / all requests that got a connection.
- seconds: from the first request to the last response; session set-up,
  interpreter start-up and shutdown are left out.

Uses only Debian's python3-aiohttp (3.8) and the stdlib: run it with
/usr/bin/python3, not a pyenv/venv python that cannot see Debian packages.
"""
import argparse
import asyncio
import json
import ssl
import sys
import time
from collections import Counter

import aiohttp
from yarl import URL  # an aiohttp dependency


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--urls", required=True, help="file with one URL per line")
    p.add_argument("--concurrency", type=int, default=64, help="requests in flight and pool size [64]")
    p.add_argument("--tls-trust-pem", help="PEM certificate(s) to trust instead of the system CAs")
    p.add_argument("--no-keep-alive", action="store_true",
                   help="TCPConnector(force_close=True): every request on a new connection")
    p.add_argument("--proxy", help="http://user:pass@host:port; the credentials go to proxy_auth")
    p.add_argument("--timeout", type=float, default=30.0, help="per-request total timeout in seconds [30]")
    a = p.parse_args(argv)
    if a.concurrency < 1:
        p.error("--concurrency must be at least 1")
    return a


def split_proxy(proxy):
    """Returns (proxy URL without credentials, BasicAuth or None)."""
    if not proxy:
        return None, None
    u = URL(proxy)
    auth = None
    if u.user is not None:
        auth = aiohttp.BasicAuth(u.user, u.password or "")
    return str(u.with_user(None)), auth


async def run(args, urls):
    created = 0
    reused = 0

    async def on_create_end(session, ctx, params):
        nonlocal created
        created += 1

    async def on_reuse(session, ctx, params):
        nonlocal reused
        reused += 1

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_create_end)
    trace.on_connection_reuseconn.append(on_reuse)

    sslctx = ssl.create_default_context(cafile=args.tls_trust_pem) if args.tls_trust_pem else ssl.create_default_context()
    connector = aiohttp.TCPConnector(
        limit=args.concurrency,
        limit_per_host=args.concurrency,
        ssl=sslctx,
        force_close=args.no_keep_alive,
    )
    proxy, proxy_auth = split_proxy(args.proxy)
    timeout = aiohttp.ClientTimeout(total=args.timeout)

    ok = 0
    errors = Counter()
    versions = Counter()
    it = iter(urls)

    async with aiohttp.ClientSession(connector=connector, trace_configs=[trace], timeout=timeout,
                                     auto_decompress=False) as session:

        async def worker():
            nonlocal ok
            for url in it:  # shared iterator: each worker pulls the next URL
                try:
                    async with session.get(url, proxy=proxy, proxy_auth=proxy_auth) as resp:
                        await resp.read()
                        versions[f"HTTP/{resp.version.major}.{resp.version.minor}"] += 1
                        if resp.status == 200:
                            ok += 1
                        else:
                            errors[f"status {resp.status}"] += 1
                except Exception as e:  # noqa: BLE001 - counted and reported, never fatal
                    errors[type(e).__name__] += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(min(args.concurrency, len(urls)) or 1)))
        seconds = time.perf_counter() - t0
    # aiohttp's documented graceful-shutdown pause: lets the SSL transports
    # send close_notify and FIN instead of being aborted when the loop ends.
    await asyncio.sleep(0.25)

    n = len(urls)
    got_conn = created + reused
    out = {
        "requests": n,
        "ok": ok,
        "errors": sum(errors.values()),
        "seconds": round(seconds, 3),
        "requestsPerSecond": round(n / seconds, 1) if seconds > 0 else 0,
        "connectionsOpened": created,
        "reusedShare": round(reused / got_conn, 4) if got_conn else 0,
        "protocol": versions.most_common(1)[0][0] if versions else None,
    }
    if errors:
        print(f"aiohttp_bench: errors: {dict(errors.most_common(5))}", file=sys.stderr)
    return out


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with open(args.urls, encoding="utf-8") as f:
        urls = [line.strip() for line in f if line.strip()]
    if not urls:
        print("aiohttp_bench: no URLs in " + args.urls, file=sys.stderr)
        return 2
    out = asyncio.run(run(args, urls))
    print(json.dumps(out, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
