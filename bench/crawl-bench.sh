#!/usr/bin/env bash
# Crawl-speed benchmark: Fleetcrawl vs Scrapy on the same generated site,
# served by a private nginx on loopback IPs, in one run on one machine.
#
# Everything it starts (nginx, the crawlers) lives under one temp dir and is
# stopped by PID on exit; the system nginx and its config are never touched.
# See bench/README.md for the knobs.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

HOSTS=${HOSTS:-8}
PAGES=${PAGES:-5000}
PORT=${PORT:-18080}
FIRST_IP=${FIRST_IP:-127.0.0.21}
FLEETCRAWL_MAX_PAGES=${FLEETCRAWL_MAX_PAGES:-100000}
FLEETCRAWL_OPTS=${FLEETCRAWL_OPTS:-}
# learned: the default learned per-host budgets (start at 2 per host, ramp to the ceiling of 8);
# fixed: --no-adaptive-budgets, 8 per host from the start, like Scrapy's per-domain cap here.
BUDGETS=${BUDGETS:-learned}
# Overridable so an installed or stand-in launcher can be benchmarked too.
FLEETCRAWL_BIN=${FLEETCRAWL_BIN:-$REPO/bin/fleetcrawl}
SCRAPY_MAX_PAGES=${SCRAPY_MAX_PAGES:-3000}
SCRAPY_CONCURRENT_REQUESTS=${SCRAPY_CONCURRENT_REQUESTS:-64}
SCRAPY_CONCURRENT_PER_DOMAIN=${SCRAPY_CONCURRENT_PER_DOMAIN:-8}
CRAWL_TIMEOUT=${CRAWL_TIMEOUT:-600}
SKIP_FLEETCRAWL=${SKIP_FLEETCRAWL:-0}
SKIP_SCRAPY=${SKIP_SCRAPY:-0}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
# Debian's python3-scrapy is installed for /usr/bin/python3; a pyenv or venv
# python3 earlier in PATH would not see it.
PY=/usr/bin/python3

log() { printf '[crawl-bench] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---------------------------------------------------------------- packages
ensure_packages() {
    local need=()
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
    { [ -x "$PY" ] && "$PY" -c 'import scrapy' 2>/dev/null; } || need+=(python3-scrapy)
    [ -x /usr/bin/time ] || need+=(time)
    command -v curl >/dev/null 2>&1 || need+=(curl)
    install_missing "${need[@]}"
}

# ---------------------------------------------------------------- cleanup
RUN=
NGINX_PID=
# shellcheck disable=SC2317  # only ever called through the trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_timed_child
    local pid=
    [ -n "$RUN" ] && [ -s "$RUN/nginx/nginx.pid" ] && pid=$(cat "$RUN/nginx/nginx.pid")
    # Before nginx wrote its pid file, the background PID is the same process
    # (daemon off), so it is still ours to stop.
    stop_pid "${pid:-$NGINX_PID}" nginx
    if [ -n "$NGINX_PID" ]; then wait "$NGINX_PID" 2>/dev/null || true; fi
    [ -n "$RUN" ] && rm -rf "$RUN"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM



# ---------------------------------------------------------------- setup
ensure_packages
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)

umask 022
RUN=$(mktemp -d "${TMPDIR:-/tmp}/crawl-bench.XXXXXX")
# nginx workers run as nobody when we are root; mktemp's 0700 would lock them out.
chmod 755 "$RUN"
mkdir -p "$RUN/nginx"
SEEDS=$RUN/seeds.txt

log "generating site: $HOSTS hosts x $PAGES pages in $RUN/site"
"$PY" "$BENCH_DIR/site/generate-site.py" --out "$RUN/site" --hosts "$HOSTS" --pages "$PAGES" \
    --port "$PORT" --first-ip "$FIRST_IP" --seeds "$SEEDS" \
    --nginx-conf "$RUN/nginx/nginx.conf" --run-dir "$RUN/nginx" --nginx-bin "$NGINX"
FIRST_URL=$(head -n1 "$SEEDS")
ROOT_URL=${FIRST_URL%/p/0.html}

# If something already answers on our address, the checks below would pass
# against it and we would benchmark the wrong server.
if curl -s -o /dev/null --max-time 2 "$ROOT_URL/robots.txt"; then
    die "something already listens on ${ROOT_URL#http://}; stop it or set PORT/FIRST_IP"
fi

NGINX_ARGS=(-c "$RUN/nginx/nginx.conf" -p "$RUN/nginx/" -e "$RUN/nginx/error.log")
"$NGINX" -t -q "${NGINX_ARGS[@]}" || { cat "$RUN/nginx/error.log" >&2 || true; die "nginx config test failed"; }
"$NGINX" "${NGINX_ARGS[@]}" </dev/null &
NGINX_PID=$!

up=0
for _ in $(seq 50); do
    if curl -sf -o /dev/null --max-time 2 "$FIRST_URL"; then up=1; break; fi
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.1
done
if [ "$up" = 0 ] || ! kill -0 "$NGINX_PID" 2>/dev/null; then
    cat "$RUN/nginx/error.log" >&2 || true
    die "nginx did not come up on ${ROOT_URL#http://}"
fi
curl -sf --max-time 2 "$ROOT_URL/robots.txt" | grep -q '^Disallow: /private/' \
    || die "robots.txt not served as expected"
while read -r seed; do
    curl -sf -o /dev/null --max-time 2 "$seed" || die "seed not served: $seed"
done <"$SEEDS"
log "nginx pid $NGINX_PID serving $HOSTS hosts from ${ROOT_URL#http://}"

# ---------------------------------------------------------------- machine
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
JAVA_VERSION=$( (java -version 2>&1 || echo "java not found") | head -n1)
MACHINE=(
    "nproc: $(nproc)"
    "cpu: ${CPU_MODEL:-unknown}"
    "kernel: $(uname -r)"
    "java: $JAVA_VERSION"
    "nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
    "scrapy: $("$PY" -m scrapy version 2>/dev/null || echo '?')"
)
printf '%s\n' "${MACHINE[@]}"

# Table rows: name|pages|seconds|pages_s|cpu_s|cpu_per_1k|rss_mib|wall_s|note
ROWS=()
NOTES=()     # failures and skips, shown under the table so a run never looks cleaner than it was
FAILED=0
FC_RATE=
SC_RATE=

# Appends a ROWS entry from pages, seconds, time -v file, wall, note.
add_row() {
    local name=$1 pages=$2 secs=$3 timefile=$4 wall=$5 note=${6:-}
    local cpu rss
    read -r cpu rss < <(time_stats "$timefile")
    ROWS+=("$(awk -v n="$name" -v p="$pages" -v s="$secs" -v c="$cpu" -v r="$rss" -v w="$wall" -v note="$note" 'BEGIN {
        rate = (s > 0) ? p / s : 0
        per1k = (p > 0) ? c * 1000 / p : 0
        printf "%s|%d|%.2f|%.1f|%.2f|%.2f|%.1f|%.2f|%s", n, p, s, rate, c, per1k, r, w, note }')")
}

# ---------------------------------------------------------------- Fleetcrawl
FC_BIN=$FLEETCRAWL_BIN
if [ "$SKIP_FLEETCRAWL" = 1 ]; then
    log "SKIP_FLEETCRAWL=1: not running Fleetcrawl"
    NOTES+=("fleetcrawl: skipped (SKIP_FLEETCRAWL=1)")
elif [ ! -x "$FC_BIN" ]; then
    log "Fleetcrawl launcher $FC_BIN not found (not built yet?): skipping the Fleetcrawl run"
    NOTES+=("fleetcrawl: not run ($FC_BIN missing)")
else
    FC_OUT=$RUN/fleetcrawl
    read -ra fc_extra <<<"$FLEETCRAWL_OPTS"
    case "$BUDGETS" in
        fixed) fc_extra=(--no-adaptive-budgets "${fc_extra[@]}") ;;
        learned) ;;
        *) die "BUDGETS must be fixed or learned, not '$BUDGETS'" ;;
    esac
    log "Fleetcrawl: max $FLEETCRAWL_MAX_PAGES pages ${FLEETCRAWL_OPTS:+(opts: $FLEETCRAWL_OPTS)}"
    rc=0
    run_timed "$RUN/fleetcrawl.time" "$CRAWL_TIMEOUT" "$FC_BIN" crawl --seeds "$SEEDS" --out "$FC_OUT" \
        --allow-private-networks --max-pages "$FLEETCRAWL_MAX_PAGES" "${fc_extra[@]}" \
        >"$RUN/fleetcrawl.log" 2>&1 || rc=$?
    if [ "$rc" != 0 ] || [ ! -s "$FC_OUT/summary.json" ]; then
        FAILED=1
        NOTES+=("fleetcrawl: FAILED (exit $rc$([ "$rc" = 124 ] && echo ", timed out after ${CRAWL_TIMEOUT}s"))")
        log "Fleetcrawl failed (exit $rc$([ "$rc" = 124 ] && echo ', timed out')); last log lines:"
        tail -n 20 "$RUN/fleetcrawl.log" >&2 || true
    else
        read -r fc_pages fc_ms fc_state < <("$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(int(d["pagesFetched"]), int(d["durationMs"]), d.get("state", {}).get("bytesSaved", "none"))' "$FC_OUT/summary.json")
        fc_lines=$(wc -l <"$FC_OUT/pages.jsonl" 2>/dev/null || echo 0)
        fc_secs=$(awk -v ms="$fc_ms" 'BEGIN { printf "%.3f", ms / 1000 }')
        add_row fleetcrawl "$fc_pages" "$fc_secs" "$RUN/fleetcrawl.time" "$WALL" \
            "seconds = summary.json durationMs; pages.jsonl lines: $fc_lines; state bytes saved: $fc_state"
        FC_RATE=$(awk -v p="$fc_pages" -v s="$fc_secs" 'BEGIN { if (s > 0) printf "%.3f", p / s }')
    fi
fi

# ---------------------------------------------------------------- Scrapy
if [ "$SKIP_SCRAPY" = 1 ]; then
    log "SKIP_SCRAPY=1: not running Scrapy"
    NOTES+=("scrapy: skipped (SKIP_SCRAPY=1)")
else
    SC_OUT=$RUN/scrapy
    mkdir -p "$SC_OUT"
    log "Scrapy: max $SCRAPY_MAX_PAGES pages, concurrency $SCRAPY_CONCURRENT_REQUESTS ($SCRAPY_CONCURRENT_PER_DOMAIN per host)"
    rc=0
    # Run from the run dir (env -C) so a scrapy.cfg in the caller's cwd cannot
    # inject project settings into runspider. LOG_LEVEL is also passed here
    # because Scrapy logs its start-up banner before it reads custom_settings.
    run_timed "$RUN/scrapy.time" "$CRAWL_TIMEOUT" env -C "$SC_OUT" "$PY" -m scrapy runspider \
        "$BENCH_DIR/scrapy/site_spider.py" -a seeds="$SEEDS" -O "$SC_OUT/items.jsonl" \
        -s CLOSESPIDER_PAGECOUNT="$SCRAPY_MAX_PAGES" \
        -s CONCURRENT_REQUESTS="$SCRAPY_CONCURRENT_REQUESTS" \
        -s CONCURRENT_REQUESTS_PER_DOMAIN="$SCRAPY_CONCURRENT_PER_DOMAIN" \
        -s LOG_LEVEL=WARNING \
        >"$RUN/scrapy.log" 2>&1 || rc=$?
    if [ "$rc" != 0 ] || [ ! -s "$SC_OUT/items.jsonl" ]; then
        FAILED=1
        NOTES+=("scrapy: FAILED (exit $rc$([ "$rc" = 124 ] && echo ", timed out after ${CRAWL_TIMEOUT}s"))")
        log "Scrapy failed (exit $rc$([ "$rc" = 124 ] && echo ', timed out')); last log lines:"
        tail -n 20 "$RUN/scrapy.log" >&2 || true
    else
        sc_pages=$(wc -l <"$SC_OUT/items.jsonl")
        sc_wall=$WALL
        # Scrapy reports no crawl duration of its own, so its seconds are the
        # process wall time, start-up included (about a second).
        add_row scrapy "$sc_pages" "$sc_wall" "$RUN/scrapy.time" "$sc_wall" \
            "seconds = process wall time"
        SC_RATE=$(awk -v p="$sc_pages" -v s="$sc_wall" 'BEGIN { if (s > 0) printf "%.3f", p / s }')
        if [ -s "$RUN/scrapy.log" ]; then
            log "Scrapy warnings (first lines of $(wc -l <"$RUN/scrapy.log")):"
            head -n 5 "$RUN/scrapy.log" >&2
        fi
    fi
fi

# ---------------------------------------------------------------- report
RATIO="n/a"
if [ -n "$FC_RATE" ] && [ -n "$SC_RATE" ]; then
    RATIO=$(awk -v a="$FC_RATE" -v b="$SC_RATE" 'BEGIN { printf "%.2fx", a / b }')
fi

HEADER="crawler|pages|seconds|pages/s|CPU s (user+sys)|CPU s / 1000 pages|peak RSS MiB|wall s"
echo
{
    echo "$HEADER"
    for r in "${ROWS[@]}"; do echo "${r%|*}"; done
} | awk -F'|' '
    # Right-aligned columns without needing column(1) (bsdextrautils).
    { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NF }
    END { for (r = 1; r <= NR; r++) { line = sprintf("%-*s", w[1], cell[r, 1])
              for (i = 2; i <= n; i++) line = line sprintf("  %*s", w[i], cell[r, i])
              print line } }'
echo "fleetcrawl pages/s / scrapy pages/s: $RATIO"
for r in "${ROWS[@]}"; do echo "  ${r%%|*}: ${r##*|}"; done
for n in "${NOTES[@]}"; do echo "  $n"; done

mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y-%m-%d-%H%M%S)
MD=$RESULTS_DIR/crawl-$STAMP.md
{
    echo "# Crawl benchmark $(date '+%Y-%m-%d %H:%M:%S %z')"
    echo
    echo "Site: $HOSTS hosts x $PAGES pages (~10 KB, ~20 links each), nginx on ${FIRST_IP}+ port $PORT, 1 worker."
    echo "Fleetcrawl: --max-pages $FLEETCRAWL_MAX_PAGES, budgets $BUDGETS${FLEETCRAWL_OPTS:+, opts \`$FLEETCRAWL_OPTS\`}"
    echo "Scrapy: CLOSESPIDER_PAGECOUNT=$SCRAPY_MAX_PAGES, CONCURRENT_REQUESTS=$SCRAPY_CONCURRENT_REQUESTS, per host $SCRAPY_CONCURRENT_PER_DOMAIN, robots obeyed."
    echo
    printf -- '- %s\n' "${MACHINE[@]}"
    echo
    echo "| ${HEADER//|/ | } |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for r in "${ROWS[@]}"; do
        row=${r%|*}
        echo "| ${row//|/ | } |"
    done
    echo
    echo "fleetcrawl pages/s / scrapy pages/s: **$RATIO**"
    echo
    for r in "${ROWS[@]}"; do echo "- ${r%%|*}: ${r##*|}"; done
    for n in "${NOTES[@]}"; do echo "- $n"; done
    echo "- CPU and RSS from /usr/bin/time -v over the crawler process tree (nginx excluded)."
} >"$MD"
log "results written to $MD"

exit "$FAILED"
