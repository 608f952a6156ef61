#!/usr/bin/env bash
# WARC overhead benchmark: what archiving every exchange (WARC 1.1 + CDXJ, on by default) costs
# Fleetcrawl in speed, CPU, memory and disk, measured against --no-warc side by side in one run
# on the same generated site as crawl-bench.sh (private nginx on loopback IPs). Debian's wget
# --warc-file on one host of the site is the reference for bytes per page and record layout.
#
#   bash bench/warc-bench.sh
#   flock /tmp/fleetcrawl-cpu.lock bash bench/warc-bench.sh    # if others share the machine
#
# Everything it starts (nginx, the crawls, wget) lives under one temp dir and is stopped by PID
# on exit; the system nginx and its config are never touched. It never builds: it needs
# launcher/target/fleetcrawl.jar, copied into the temp dir at start so that a rebuild during
# the run cannot change the jar between the two variants. Knobs: see bench/README.md.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

HOSTS=${HOSTS:-8}
PAGES=${PAGES:-5000}
PORT=${PORT:-18080}
FIRST_IP=${FIRST_IP:-127.0.0.21}
ROUNDS=${ROUNDS:-3}
FLEETCRAWL_MAX_PAGES=${FLEETCRAWL_MAX_PAGES:-100000}
FLEETCRAWL_OPTS=${FLEETCRAWL_OPTS:-}
BUDGETS=${BUDGETS:-learned}
FLEETCRAWL_BIN=${FLEETCRAWL_BIN:-$REPO/bin/fleetcrawl}
FC_JAR=${FLEETCRAWL_JAR:-$REPO/launcher/target/fleetcrawl.jar}
CRAWL_TIMEOUT=${CRAWL_TIMEOUT:-600}
WGET_PAGES=${WGET_PAGES:-1000}
WGET_TIMEOUT=${WGET_TIMEOUT:-300}
SKIP_WGET=${SKIP_WGET:-0}
LAYOUT=${LAYOUT:-1}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
PY=/usr/bin/python3
# Every page of generate-site.py is at least this many bytes; wget's --quota is set from it.
PAGE_MIN_BYTES=10240

log() { printf '[warc-bench] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_int() { if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < $3)); then die "$1 must be an integer >= $3, not '$2'"; fi; }
need_int ROUNDS "$ROUNDS" 1
need_int HOSTS "$HOSTS" 1
need_int PAGES "$PAGES" 2
need_int CRAWL_TIMEOUT "$CRAWL_TIMEOUT" 1
need_int WGET_TIMEOUT "$WGET_TIMEOUT" 1
WGET_QUOTA=n/a
if [ "$SKIP_WGET" != 1 ]; then
    need_int WGET_PAGES "$WGET_PAGES" 2
    WGET_QUOTA=$(((WGET_PAGES - 1) * PAGE_MIN_BYTES))
fi
[[ $FIRST_IP =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "FIRST_IP must be a loopback address (127.x.y.z), not '$FIRST_IP'"
# The variant flag is the script's to set.
[[ " $FLEETCRAWL_OPTS " =~ [[:space:]]--(no-)?warc[[:space:]=] ]] \
    && die "FLEETCRAWL_OPTS must not hold --warc or --no-warc: the script sets them"
read -ra FC_EXTRA <<<"$FLEETCRAWL_OPTS"
case "$BUDGETS" in
    fixed) FC_EXTRA=(--no-adaptive-budgets "${FC_EXTRA[@]}") ;;
    learned) ;;
    *) die "BUDGETS must be fixed or learned, not '$BUDGETS'" ;;
esac
[ -x "$FLEETCRAWL_BIN" ] || die "Fleetcrawl launcher $FLEETCRAWL_BIN not found"
# A stand-in launcher (FLEETCRAWL_BIN) may not need the jar; bin/fleetcrawl does.
if [ ! -f "$FC_JAR" ] && [ "$FLEETCRAWL_BIN" -ef "$REPO/bin/fleetcrawl" ]; then
    die "$FC_JAR missing: build it first (mvn -B -q package -DskipTests); this script does not build"
fi

# ---------------------------------------------------------------- packages
ensure_packages() {
    local need=()
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
    [ -x "$PY" ] || need+=(python3)
    [ -x /usr/bin/time ] || need+=(time)
    command -v curl >/dev/null 2>&1 || need+=(curl)
    [ "$SKIP_WGET" = 1 ] || command -v wget >/dev/null 2>&1 || need+=(wget)
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

# ---------------------------------------------------------------- setup (as crawl-bench.sh)
ensure_packages
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)

umask 022
RUN=$(mktemp -d "${TMPDIR:-/tmp}/warc-bench.XXXXXX")
# nginx workers run as nobody when we are root; mktemp's 0700 would lock them out.
chmod 755 "$RUN"
mkdir -p "$RUN/nginx"
SEEDS=$RUN/seeds.txt

JAR_INFO="none ($FC_JAR missing; launcher $FLEETCRAWL_BIN)"
if [ -f "$FC_JAR" ]; then
    # A private copy of the jar: the other engineer may rebuild it while this runs.
    cp "$FC_JAR" "$RUN/fleetcrawl.jar"
    "$PY" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).close()' "$RUN/fleetcrawl.jar" 2>/dev/null \
        || die "$FC_JAR is not a whole jar (being rebuilt?); try again when the build is done"
    export FLEETCRAWL_JAR=$RUN/fleetcrawl.jar
    JAR_INFO="$(sha256sum "$RUN/fleetcrawl.jar" | cut -c1-12), built $(date -r "$FC_JAR" '+%F %T')"
    JAR_INFO+=" (repository at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'); the jar may include uncommitted changes)"
fi

log "generating site: $HOSTS hosts x $PAGES pages in $RUN/site"
"$PY" "$BENCH_DIR/site/generate-site.py" --out "$RUN/site" --hosts "$HOSTS" --pages "$PAGES" \
    --port "$PORT" --first-ip "$FIRST_IP" --seeds "$SEEDS" \
    --nginx-conf "$RUN/nginx/nginx.conf" --run-dir "$RUN/nginx" --nginx-bin "$NGINX"
FIRST_URL=$(head -n1 "$SEEDS")
ROOT_URL=${FIRST_URL%/p/0.html}

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

FREE_MIB=$(df -Pk "$RUN" | awk 'NR == 2 { printf "%d", $4 / 1024 }')
if ((FREE_MIB < 1024)); then
    log "WARNING: only $FREE_MIB MiB free under $RUN; one WARC-on run of the full site writes a few hundred MiB"
fi

# ---------------------------------------------------------------- machine
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
WGET_VERSION="not run"
[ "$SKIP_WGET" = 1 ] || WGET_VERSION=$(wget --version 2>/dev/null | head -n1 || true)
{
    echo "nproc: $(nproc)"
    echo "cpu: ${CPU_MODEL:-unknown}"
    echo "kernel: $(uname -r)"
    echo "java: $( (java -version 2>&1 || echo "java not found") | head -n1)"
    echo "nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
    echo "wget: $WGET_VERSION"
    echo "fleetcrawl.jar: $JAR_INFO"
    echo "loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RUN/machine.txt"
cat "$RUN/machine.txt"

RUNS_TSV=$RUN/runs.tsv    # one line per crawl, see run_crawl
NOTES=$RUN/notes.txt      # failures and oddities, shown under the tables
: >"$RUNS_TSV"
: >"$NOTES"
FAILED=0
FC_LAYOUT=
note() { printf '%s\n' "$*" >>"$NOTES"; log "$*"; }

# Prints the WARC record types in the .warc.gz files under $1, as "type=count ..." sorted by
# type, plus "robots-responses=N" (responses whose target URI is a robots.txt).
record_layout() {
    find "$1" -name '*.warc.gz' -type f -print0 | xargs -0 -r zcat -- \
        | LC_ALL=C grep -a -E '^WARC-(Type|Target-URI): ' \
        | awk '{ sub(/\r$/, "") }
            $1 == "WARC-Type:" { t = $2; n[t]++ }
            $1 == "WARC-Target-URI:" && t == "response" && $2 ~ /\/robots\.txt>?$/ { robots++ }
            END { for (k in n) printf "%s=%d\n", k, n[k]; printf "robots-responses=%d\n", robots }' \
        | sort | paste -sd' ' -
}

# Sum of the sizes of the files under $1 whose names match $2.
bytes_of() { find "$1" -name "$2" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }'; }
count_of() { find "$1" -name "$2" -type f | wc -l; }

# run_crawl VARIANT(on|off) ROUND SLOT: one crawl, measured, its output deleted. Appends to
# RUNS_TSV: variant round slot status pages duration_ms cpu_s rss_mib wall_s load1
#           warc_du_bytes warc_gz_bytes warc_files open_files cdxj_lines jsonl_lines
run_crawl() {
    local variant=$1 round=$2 slot=$3
    local id=$variant-$round
    local out=$RUN/out-$id tf=$RUN/fc-$id.time lf=$RUN/fc-$id.log
    local args=(crawl --seeds "$SEEDS" --out "$out" --allow-private-networks
        --max-pages "$FLEETCRAWL_MAX_PAGES" "${FC_EXTRA[@]}")
    [ "$variant" = off ] && args+=(--no-warc)
    local load1 rc=0 run_wall status=ok
    load1=$(cut -d' ' -f1 /proc/loadavg)
    log "round $round/$ROUNDS, crawl $slot: WARC $variant (loadavg $load1)"
    run_timed "$tf" "$CRAWL_TIMEOUT" "$FLEETCRAWL_BIN" "${args[@]}" >"$lf" 2>&1 || rc=$?
    run_wall=$WALL
    if [ "$rc" != 0 ] || [ ! -s "$out/summary.json" ]; then
        FAILED=1
        note "round $round WARC $variant: FAILED (exit $rc$([ "$rc" = 124 ] && echo ", timed out after ${CRAWL_TIMEOUT}s"))"
        log "last log lines:"
        tail -n 20 "$lf" >&2 || true
        printf '%s\t%s\t%s\tfailed\t\t\t\t\t%s\t%s\t\t\t\t\t\t\n' "$variant" "$round" "$slot" "$run_wall" "$load1" >>"$RUNS_TSV"
        rm -rf "$out"
        return 0
    fi
    local pages ms cpu rss jsonl
    read -r pages ms < <("$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(int(d["pagesFetched"]), int(d["durationMs"]))' "$out/summary.json")
    read -r cpu rss < <(time_stats "$tf")
    jsonl=$(wc -l <"$out/pages.jsonl" 2>/dev/null || echo 0)
    local du_b='' gz_b='' files='' open='' cdxj=''
    if [ -d "$out/warc" ]; then
        du_b=$(du -sb "$out/warc" | cut -f1)
        gz_b=$(bytes_of "$out/warc" '*.warc.gz')
        files=$(count_of "$out/warc" '*.warc.gz')
        open=$(count_of "$out/warc" '*.open')
        cdxj=$(find "$out/warc" -name '*.cdxj' -type f -exec cat -- {} + | wc -l)
        [ "$open" = 0 ] || note "round $round WARC $variant: $open .open file(s) left after the crawl ended"
    fi
    if [ "$variant" = on ] && { [ -z "$files" ] || [ "$files" = 0 ]; }; then
        status=bad
        FAILED=1
        note "round $round WARC on: no .warc.gz under $out/warc; left out of the medians"
    elif [ "$variant" = off ] && [ -d "$out/warc" ]; then
        status=bad
        FAILED=1
        note "round $round WARC off: --no-warc still wrote $out/warc ($du_b bytes); left out of the medians"
    fi
    if [ "$variant" = on ] && [ "$status" = ok ] && [ "$LAYOUT" = 1 ] && [ -z "$FC_LAYOUT" ]; then
        log "counting the WARC record types of this run (once; LAYOUT=0 skips it)"
        FC_LAYOUT=$(record_layout "$out/warc" || true)
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$variant" "$round" "$slot" "$status" "$pages" "$ms" "$cpu" "$rss" "$run_wall" "$load1" \
        "$du_b" "$gz_b" "$files" "$open" "$cdxj" "$jsonl" >>"$RUNS_TSV"
    rm -rf "$out"
}

# ---------------------------------------------------------------- Fleetcrawl, WARC on / off
# Each round runs both variants; the order alternates (on,off / off,on / ...) so that a drift
# of the machine's load over the run does not always favour the same variant.
log "Fleetcrawl: $ROUNDS rounds x (WARC on, --no-warc), max $FLEETCRAWL_MAX_PAGES pages, budgets $BUDGETS${FLEETCRAWL_OPTS:+, opts: $FLEETCRAWL_OPTS}"
for round in $(seq "$ROUNDS"); do
    if ((round % 2 == 1)); then order=(on off); else order=(off on); fi
    run_crawl "${order[0]}" "$round" 1
    run_crawl "${order[1]}" "$round" 2
done

# ---------------------------------------------------------------- wget reference
# One host, recursive from /p/0.html, robots.txt obeyed, pages deleted after parsing. The page
# cap is --quota: wget starts no new download once more than (WGET_PAGES - 1) x 10 KiB are in,
# and every page is at least 10 KiB, so it fetches at most WGET_PAGES pages (+ robots.txt).
WGET_TSV=$RUN/wget.tsv    # status responses warc_gz_bytes wall_s cpu_s rss_mib rc layout
: >"$WGET_TSV"
if [ "$SKIP_WGET" = 1 ]; then
    note "wget: skipped (SKIP_WGET=1)"
else
    WG=$RUN/wget
    mkdir -p "$WG/files"
    log "wget: $FIRST_URL, recursive, at most $WGET_PAGES pages (--quota=$WGET_QUOTA)"
    rc=0
    run_timed "$RUN/wget.time" "$WGET_TIMEOUT" wget --recursive --level=inf --no-parent \
        --delete-after -e robots=on --quota="$WGET_QUOTA" --tries=2 --timeout=10 \
        --no-verbose -o "$WG/wget.log" -P "$WG/files" \
        --warc-file="$WG/site" --warc-tempdir="$WG" --no-warc-keep-log \
        "$FIRST_URL" </dev/null >/dev/null 2>&1 || rc=$?
    wg_wall=$WALL
    if [ "$rc" = 124 ] || [ "$rc" = 137 ] || [ ! -s "$WG/site.warc.gz" ]; then
        FAILED=1
        note "wget: FAILED (exit $rc$([ "$rc" = 124 ] && echo ", timed out after ${WGET_TIMEOUT}s"))"
        tail -n 20 "$WG/wget.log" >&2 2>/dev/null || true
        printf 'failed\t\t\t%s\t\t\t%s\t\n' "$wg_wall" "$rc" >>"$WGET_TSV"
    else
        # wget exits non-zero for things like a 404 among the pages or the quota; the WARC is
        # still whole, so the run counts and the exit code is noted.
        [ "$rc" = 0 ] || note "wget: exit $rc (see its log line: $(grep -m1 -E 'EXCEEDED|ERROR' "$WG/wget.log" || echo 'none'))"
        wg_layout=$(record_layout "$WG" || true)
        wg_responses=$(sed -n 's/.*\bresponse=\([0-9]*\).*/\1/p' <<<"$wg_layout")
        read -r wg_cpu wg_rss < <(time_stats "$RUN/wget.time")
        printf 'ok\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${wg_responses:-0}" "$(stat -c %s "$WG/site.warc.gz")" \
            "$wg_wall" "$wg_cpu" "$wg_rss" "$rc" "$wg_layout" >>"$WGET_TSV"
    fi
    rm -rf "$WG"
fi

# ---------------------------------------------------------------- report
mkdir -p "$RESULTS_DIR"
MD=$RESULTS_DIR/warc-bench-$(date +%Y-%m-%d-%H%M%S).md
{
    printf 'date\t%s\n' "$(date '+%Y-%m-%d %H:%M:%S %z')"
    printf 'site\t%s hosts x %s pages (~10 KB, ~20 links each), nginx on %s+ port %s, 1 worker\n' "$HOSTS" "$PAGES" "$FIRST_IP" "$PORT"
    printf 'fleetcrawl\tcrawl --seeds SEEDS --out DIR --allow-private-networks --max-pages %s%s%s; WARC off adds --no-warc\n' \
        "$FLEETCRAWL_MAX_PAGES" "$([ "$BUDGETS" = fixed ] && echo ' --no-adaptive-budgets')" "${FLEETCRAWL_OPTS:+ $FLEETCRAWL_OPTS}"
    printf 'java_opts\t%s\n' "${FLEETCRAWL_JAVA_OPTS:-launcher default (-Xmx1g -XX:+UseParallelGC)}"
    printf 'rounds\t%s\n' "$ROUNDS"
    printf 'wget\twget --recursive --level=inf --no-parent --delete-after -e robots=on --quota=%s --warc-file=F --no-warc-keep-log %s\n' \
        "$WGET_QUOTA" "$FIRST_URL"
    printf 'wget_pages\t%s\n' "$WGET_PAGES"
    printf 'fc_layout\t%s\n' "$FC_LAYOUT"
} >"$RUN/config.tsv"

"$PY" - "$RUN/config.tsv" "$RUN/machine.txt" "$RUNS_TSV" "$WGET_TSV" "$NOTES" "$MD" <<'PYEOF'
import json, statistics, sys

cfg_f, machine_f, runs_f, wget_f, notes_f, md_f = sys.argv[1:7]
cfg = dict(l.rstrip("\n").split("\t", 1) for l in open(cfg_f) if "\t" in l)
machine = [l.rstrip("\n") for l in open(machine_f) if l.strip()]
notes = [l.rstrip("\n") for l in open(notes_f) if l.strip()]


def num(s):
    try:
        return float(s)
    except ValueError:
        return None


COLS = ("variant round slot status pages duration_ms cpu_s rss_mib wall_s load1 "
        "warc_du_bytes warc_gz_bytes warc_files open_files cdxj_lines jsonl_lines").split()
runs = []
for line in open(runs_f):
    f = line.rstrip("\n").split("\t")
    f += [""] * (len(COLS) - len(f))
    r = dict(zip(COLS, f))
    for k in COLS[4:]:
        r[k] = num(r[k])
    r["round"], r["slot"] = int(r["round"]), int(r["slot"])
    p, ms = r["pages"], r["duration_ms"]
    r["seconds"] = ms / 1000 if ms else None
    r["pages_s"] = p / (ms / 1000) if p and ms else None
    r["cpu_s_per_1k"] = r["cpu_s"] * 1000 / p if p and r["cpu_s"] is not None else None
    r["warc_bytes_per_page"] = r["warc_du_bytes"] / p if p and r["warc_du_bytes"] else None
    r["warc_gz_bytes_per_page"] = r["warc_gz_bytes"] / p if p and r["warc_gz_bytes"] else None
    runs.append(r)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


variants = {}
for v in ("on", "off"):
    ok = [r for r in runs if r["variant"] == v and r["status"] == "ok"]
    variants[v] = {
        "runs": sum(1 for r in runs if r["variant"] == v),
        "runs_ok": len(ok),
        "median_pages": med([r["pages"] for r in ok]),
        "median_pages_s": med([r["pages_s"] for r in ok]),
        "median_cpu_s_per_1k": med([r["cpu_s_per_1k"] for r in ok]),
        "median_rss_mib": med([r["rss_mib"] for r in ok]),
        "median_wall_s": med([r["wall_s"] for r in ok]),
        "median_warc_bytes_per_page": med([r["warc_bytes_per_page"] for r in ok]),
        "median_warc_gz_bytes_per_page": med([r["warc_gz_bytes_per_page"] for r in ok]),
        "warc_files": sorted({int(r["warc_files"]) for r in ok if r["warc_files"] is not None}),
    }


def ratio(a, b):
    return a / b if a is not None and b else None


on, off = variants["on"], variants["off"]
# The same ratio within each round (both variants ran back to back): less exposed to drift.
paired = []
for rnd in sorted({r["round"] for r in runs}):
    a = [r for r in runs if r["round"] == rnd and r["status"] == "ok"]
    ron = next((r["pages_s"] for r in a if r["variant"] == "on"), None)
    roff = next((r["pages_s"] for r in a if r["variant"] == "off"), None)
    if ron and roff:
        paired.append(ron / roff)
ratios = {
    "pages_s_on_off": ratio(on["median_pages_s"], off["median_pages_s"]),
    "pages_s_on_off_per_round": paired,
    "pages_s_on_off_per_round_median": med(paired),
    "cpu_s_per_1k_on_off": ratio(on["median_cpu_s_per_1k"], off["median_cpu_s_per_1k"]),
    "rss_on_off": ratio(on["median_rss_mib"], off["median_rss_mib"]),
}

wget = None
wl = [l.rstrip("\n").split("\t") for l in open(wget_f) if l.strip()]
if wl:
    f = wl[0] + [""] * 8
    wget = {"status": f[0], "responses": num(f[1]), "warc_gz_bytes": num(f[2]), "wall_s": num(f[3]),
            "cpu_s": num(f[4]), "rss_mib": num(f[5]), "exit": f[6], "layout": f[7]}
    wget["bytes_per_response"] = ratio(wget["warc_gz_bytes"], wget["responses"])
    wget["responses_per_s"] = ratio(wget["responses"], wget["wall_s"])


def fmt(x, d=1):
    if x is None:
        return "-"
    if isinstance(x, float) and x.is_integer() and d == 0:
        return f"{int(x):,}"
    return f"{x:,.{d}f}"


def fx(x):
    return "n/a" if x is None else f"{x:.3f}x"


sum_head = ["variant", "runs ok", "pages", "pages/s", "CPU s / 1000 pages", "peak RSS MiB",
            "wall s", "WARC B/page (du)", ".warc.gz B/page", "WARC files"]
sum_rows = []
for v, label in (("on", "WARC on"), ("off", "--no-warc")):
    s = variants[v]
    sum_rows.append([label, f"{s['runs_ok']}/{s['runs']}", fmt(s["median_pages"], 0), fmt(s["median_pages_s"]),
                     fmt(s["median_cpu_s_per_1k"], 3), fmt(s["median_rss_mib"]), fmt(s["median_wall_s"], 2),
                     fmt(s["median_warc_bytes_per_page"], 0), fmt(s["median_warc_gz_bytes_per_page"], 0),
                     ",".join(map(str, s["warc_files"])) or "-"])

run_head = ["round", "#", "variant", "status", "pages", "seconds", "pages/s", "CPU s", "CPU s / 1000 pages",
            "peak RSS MiB", "wall s", "loadavg", "WARC bytes (du)", "WARC B/page", "WARC files", "CDXJ lines",
            "pages.jsonl lines"]
run_rows = []
for r in runs:
    run_rows.append([str(r["round"]), str(r["slot"]), "WARC " + r["variant"], r["status"], fmt(r["pages"], 0),
                     fmt(r["seconds"], 2), fmt(r["pages_s"]), fmt(r["cpu_s"], 2), fmt(r["cpu_s_per_1k"], 3),
                     fmt(r["rss_mib"]), fmt(r["wall_s"], 2), fmt(r["load1"], 2), fmt(r["warc_du_bytes"], 0),
                     fmt(r["warc_bytes_per_page"], 0), fmt(r["warc_files"], 0), fmt(r["cdxj_lines"], 0),
                     fmt(r["jsonl_lines"], 0)])


def text_table(head, rows):
    w = [max(len(x) for x in col) for col in zip(head, *rows)]
    out = []
    for row in [head] + rows:
        out.append("  ".join([row[0].ljust(w[0])] + [c.rjust(w[i]) for i, c in enumerate(row) if i > 0]))
    return "\n".join(out)


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" + "---:|" * (len(head) - 1)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


ratio_lines = [
    f"WARC on / off, median pages/s: {fx(ratios['pages_s_on_off'])}"
    + (f" (per round: {', '.join(f'{x:.3f}' for x in paired)}; median {fx(ratios['pages_s_on_off_per_round_median'])})"
       if paired else ""),
    f"WARC on / off, median CPU s per 1000 pages: {fx(ratios['cpu_s_per_1k_on_off'])}; median peak RSS: {fx(ratios['rss_on_off'])}",
]
if cfg.get("fc_layout"):
    ratio_lines.append(f"Fleetcrawl WARC records (first WARC-on run): {cfg['fc_layout']}")
if wget is None:
    wget_line = "wget: not run"
elif wget["status"] != "ok":
    wget_line = f"wget: FAILED (exit {wget['exit']})"
else:
    wget_line = (f"wget ({cfg.get('wget_pages')} pages max, 1 host, 1 connection): {fmt(wget['responses'], 0)} response records, "
                 f"{fmt(wget['warc_gz_bytes'], 0)} bytes .warc.gz = {fmt(wget['bytes_per_response'], 0)} B/response; "
                 f"wall {fmt(wget['wall_s'], 2)} s ({fmt(wget['responses_per_s'])} responses/s, not comparable), "
                 f"CPU {fmt(wget['cpu_s'], 2)} s, peak RSS {fmt(wget['rss_mib'])} MiB; records: {wget['layout']}")

print()
print(text_table(sum_head, sum_rows))
print()
for l in ratio_lines:
    print(l)
print(wget_line)
print()
print(text_table(run_head, run_rows))
for n in notes:
    print("  " + n)

doc = {"config": {k: v for k, v in cfg.items() if k != "fc_layout"}, "machine": machine, "variants": variants,
       "ratios": ratios, "fleetcrawl_record_layout": cfg.get("fc_layout") or None, "wget": wget,
       "runs": runs, "notes": notes}
with open(md_f, "w") as f:
    w = lambda s="": f.write(s + "\n")
    w(f"# WARC overhead benchmark {cfg.get('date', '')}")
    w()
    w(f"Site: {cfg.get('site')}.")
    w(f"Fleetcrawl: `{cfg.get('fleetcrawl')}`; JVM options: {cfg.get('java_opts')}.")
    w(f"{cfg.get('rounds')} rounds; each runs both variants back to back, the order alternating (on/off, off/on, ...).")
    w(f"wget: `{cfg.get('wget')}`.")
    w()
    for m in machine:
        w(f"- {m}")
    w()
    w("## Medians per variant")
    w()
    w(md_table(sum_head, sum_rows))
    w()
    for l in ratio_lines:
        w(f"- {l}")
    w(f"- {wget_line}")
    w()
    w("## Runs")
    w()
    w(md_table(run_head, run_rows))
    w()
    for n in notes:
        w(f"- {n}")
    w("- pages and seconds: summary.json pagesFetched and durationMs (JVM start-up left out); wall s is the whole process.")
    w("- CPU (user+sys) and peak RSS: /usr/bin/time -v over the crawler's process tree (the JVM); nginx excluded.")
    w("- WARC B/page: `du -sb OUT/warc` (.warc.gz and .cdxj) / pagesFetched; .warc.gz B/page leaves the .cdxj out. "
      "wget's B/response is its .warc.gz / its response records (robots.txt included); only bytes and record layout compare, "
      "not its speed (one connection, one host).")
    w()
    w("```json")
    w(json.dumps(doc, indent=2))
    w("```")
PYEOF
log "results written to $MD"

exit "$FAILED"
