#!/usr/bin/env bash
# Rate-limit benchmark: Fleetcrawl's learned per-host budgets (--adaptive-budgets) and Scrapy 2.8
# with AutoThrottle, each crawling one site behind Debian's nginx limit_req, judged by nginx's
# access log. For each RATE: limit_req_zone $server_name rate=RATE r/s, burst RATE/10, nodelay,
# status 429; four crawls, each against a fresh nginx (fresh zone, new access log):
#   Fleetcrawl on 1 node, Fleetcrawl on 3 nodes (one cluster, one shared frontier),
#   Scrapy in 1 process, Scrapy in 3 processes (process k gets only seed k: disjoint subtrees).
# Each crawl is stopped (SIGTERM by PID, then KILL if it lingers) DURATION s after nginx logged
# its first 200 or 429. Writes bench/results/rate-<date-time>.md; see bench/README.md.
#
#   flock /tmp/fleetcrawl-cpu.lock bash bench/rate-bench.sh     # the caller takes the CPU lock
#
# Environment knobs [defaults]:
#   RATES ["200 50"]     permitted rates, r/s (burst = RATE/10)
#   DURATION [60]        seconds per crawl, from nginx's first logged request
#   PAGES [60000]        pages of the tree site (/p/N links to /p/5N+1 .. /p/5N+5); with seeds
#                        /p/1-3 the smallest subtree must outlast a third of RATE x DURATION
#   SEED_PAGES ["1 2 3"] the seed pages; "1 2 3 4 5" reaches every page but /p/0, for a crawl
#                        of a whole site (with PAGES=5000: issue 13's 5,000-page host)
#   IP [127.0.1.41], PORT [18300]   where the private nginx listens (loopback only)
#   NODES ["1 3"]        node counts (Fleetcrawl nodes / Scrapy processes; Scrapy: at most 3)
#   SKIP_SCRAPY=1, SKIP_FLEETCRAWL=1   leave one crawler out
#   STATUS_PORT [7291]   first node's /status port (node k gets STATUS_PORT + k - 1)
#   CEILING [8]          per-host requests in flight: Fleetcrawl's --per-host-concurrency (its
#                        default) and Scrapy's CONCURRENT_REQUESTS_PER_DOMAIN
#   START_TIMEOUT [120]  seconds allowed for nodes to start and for the first request
#   WARMUP [0]           1: Fleetcrawl's nodes first crawl the same site, unthrottled, from a second
#                        address (WARM_IP [127.0.1.42], same nginx, own access log, crawl "warmup"),
#                        and the measured crawl is submitted once that one is over: the row then
#                        measures the rate control on a warm cluster, not the JIT compilers of
#                        three JVMs competing for two cores in their first seconds
#   RESULTS_DIR [bench/results]
# The script does not take the CPU lock itself, and never builds: it needs launcher/target/
# fleetcrawl.jar (copied into the temp dir at start, so a rebuild during the run is not picked up).
set -euo pipefail
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

RATES=${RATES:-200 50}
DURATION=${DURATION:-60}
PAGES=${PAGES:-60000}
IP=${IP:-127.0.1.41}
PORT=${PORT:-18300}
NODES=${NODES:-1 3}
SKIP_SCRAPY=${SKIP_SCRAPY:-0}
SKIP_FLEETCRAWL=${SKIP_FLEETCRAWL:-0}
STATUS_PORT=${STATUS_PORT:-7291}
WARMUP=${WARMUP:-0}
WARM_IP=${WARM_IP:-127.0.1.42}
START_TIMEOUT=${START_TIMEOUT:-120}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
CEILING=${CEILING:-8}       # requests in flight per host: Fleetcrawl's ceiling, Scrapy's per-domain cap
FC_STOP_GRACE=30            # seconds a node gets to leave after SIGTERM before stop_pid
SCRAPY_STOP_GRACE=15        # seconds Scrapy gets for its graceful shutdown (stats dump)
PY=/usr/bin/python3         # Debian's python3-scrapy is installed for this Python
NGINX=/usr/sbin/nginx
FC_BIN=$REPO/bin/fleetcrawl
FC_JAR=$REPO/launcher/target/fleetcrawl.jar
FC_JAVA_OPTS="-Xmx384m -XX:+UseSerialGC"
SCRAPY_SETTINGS=(
    AUTOTHROTTLE_ENABLED=True RETRY_ENABLED=True ROBOTSTXT_OBEY=True
    CONCURRENT_REQUESTS=64 "CONCURRENT_REQUESTS_PER_DOMAIN=$CEILING" CLOSESPIDER_PAGECOUNT=0
    LOG_LEVEL=INFO
)

log() { printf '[rate-bench] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

# ---------------------------------------------------------------- checks
is_int() { [[ $1 =~ ^[0-9]+$ ]]; }
# need_int WHAT VALUE MIN MAX: dies unless VALUE is an integer in [MIN, MAX].
need_int() {
    if ! is_int "$2" || (($2 < $3 || $2 > $4)); then die "$1: '$2' is not an integer from $3 to $4"; fi
}
read -ra RATE_LIST <<<"$RATES"
read -ra NODE_LIST <<<"$NODES"
((${#RATE_LIST[@]} > 0)) || die "RATES is empty"
((${#NODE_LIST[@]} > 0)) || die "NODES is empty"
for r in "${RATE_LIST[@]}"; do need_int "RATES (burst is RATE/10)" "$r" 10 100000; done
for n in "${NODE_LIST[@]}"; do
    need_int NODES "$n" 1 9
    [ "$SKIP_SCRAPY" = 1 ] || ((n <= 3)) || die "NODES: Scrapy gets one seed per process, so at most 3"
done
need_int "DURATION (10 s allowance + a 10 s window)" "$DURATION" 20 3600
need_int PAGES "$PAGES" 100 10000000
need_int PORT "$PORT" 1 65535
need_int STATUS_PORT "$STATUS_PORT" 1 65500
need_int START_TIMEOUT "$START_TIMEOUT" 1 3600
need_int CEILING "$CEILING" 1 1000
[[ $IP =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "IP must be a loopback address (127.x.y.z), not '$IP'"
[[ $WARMUP =~ ^[01]$ ]] || die "WARMUP must be 0 or 1, not '$WARMUP'"
if [ "$WARMUP" = 1 ]; then
    [[ $WARM_IP =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "WARM_IP must be a loopback address (127.x.y.z), not '$WARM_IP'"
    [ "$WARM_IP" != "$IP" ] || die "WARM_IP must differ from IP ($IP): the warm-up must not use the measured zone"
fi
[ "$SKIP_SCRAPY" = 1 ] && [ "$SKIP_FLEETCRAWL" = 1 ] && die "SKIP_SCRAPY=1 and SKIP_FLEETCRAWL=1: nothing to run"

[ -x "$NGINX" ] || die "$NGINX not found (apt-get install nginx-light)"
[ -x "$PY" ] || die "$PY not found"
command -v curl >/dev/null || die "curl is needed"
if [ "$SKIP_FLEETCRAWL" != 1 ]; then
    [ -x "$FC_BIN" ] || die "launcher $FC_BIN missing"
    [ -f "$FC_JAR" ] || die "$FC_JAR missing: build it first (mvn -B -q package -DskipTests); this script does not build"
    command -v java >/dev/null || die "java not found"
fi
if [ "$SKIP_SCRAPY" != 1 ]; then
    "$PY" -c 'import scrapy' 2>/dev/null || die "Scrapy is not importable by $PY (apt-get install python3-scrapy)"
fi

# ---------------------------------------------------------------- cleanup
WORK=
NGINX_PID=
CRAWL_PIDS=()
# shellcheck disable=SC2317  # only ever called through the trap
cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "${CRAWL_PIDS[@]}"; do stop_pid "$pid" crawler; done
    stop_pid "$NGINX_PID" nginx
    [ -n "$WORK" ] && rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

umask 022
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rate-bench.XXXXXX")
# nginx reads the pages as nobody when we are root; mktemp's 0700 would lock it out.
chmod 755 "$WORK"
mkdir -p "$WORK/rows"

if [ "$SKIP_FLEETCRAWL" != 1 ]; then
    # A private copy: the other engineer may rebuild the jar while this runs.
    cp "$FC_JAR" "$WORK/fleetcrawl.jar"
    export FLEETCRAWL_JAR=$WORK/fleetcrawl.jar
    export FLEETCRAWL_LOG_LEVEL=WARN
fi

# ---------------------------------------------------------------- site
BASE=http://$IP:$PORT
log "generating $PAGES pages in $WORK/www"
"$PY" "$BENCH_DIR/rate/site.py" --out "$WORK/www" --pages "$PAGES"
SEED_PAGES=${SEED_PAGES:-1 2 3}
for p in $SEED_PAGES; do need_int "a SEED_PAGES entry" "$p" 1 "$((PAGES - 1))"; echo "$BASE/p/$p"; done >"$WORK/seeds.txt"
read -r REACH1 REACH2 REACH3 < <("$PY" "$BENCH_DIR/rate/site.py" --pages "$PAGES" --reach 1 2 3)
REACH_ALL=$((REACH1 + REACH2 + REACH3))
MAX_RATE=0
for r in "${RATE_LIST[@]}"; do ((r > MAX_RATE)) && MAX_RATE=$r; done
SITE_NOTE=
if ((REACH_ALL <= MAX_RATE * DURATION + MAX_RATE / 10)); then
    SITE_NOTE="the seeds reach only $REACH_ALL pages, fewer than $MAX_RATE r/s x $DURATION s: raise PAGES"
elif ((REACH3 * 3 <= MAX_RATE * DURATION)); then
    SITE_NOTE="seed /p/3 reaches only $REACH3 pages, fewer than a third of $MAX_RATE r/s x $DURATION s (Scrapy, 3 processes): raise PAGES"
fi
[ -z "$SITE_NOTE" ] || log "WARNING: $SITE_NOTE"

# ---------------------------------------------------------------- nginx
# start_nginx DIR RATE: a fresh nginx (new zone, new access log) in DIR; sets NGINX_PID.
start_nginx() {
    local dir=$1 rate=$2 rc=0 code=
    mkdir -p "$dir/tmp"
    cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    log_format rate '\$msec \$status \$request_time';
    access_log $dir/access.log rate;
    client_body_temp_path $dir/tmp;
    proxy_temp_path $dir/tmp;
    fastcgi_temp_path $dir/tmp;
    uwsgi_temp_path $dir/tmp;
    scgi_temp_path $dir/tmp;
    keepalive_requests 100000;
    limit_req_zone \$server_name zone=site:1m rate=${rate}r/s;
    # Rejections are logged at info, below error_log's level: the access log has them.
    limit_req_log_level info;
    server {
        listen $IP:$PORT;
        server_name site;
        root $WORK/www;
        default_type text/html;
        location = /robots.txt { return 404; }
        location / {
            limit_req zone=site burst=$((rate / 10)) nodelay;
            limit_req_status 429;
        }
    }
$([ "$WARMUP" != 1 ] || cat <<WARM
    server {
        listen $WARM_IP:$PORT;
        server_name warm;
        root $WORK/www;
        default_type text/html;
        access_log $dir/warm.log rate;
        location = /robots.txt { return 404; }
    }
WARM
)
}
EOF
    # Something else answering here would be benchmarked instead of our nginx.
    curl -s -o /dev/null --max-time 2 "$BASE/robots.txt" || rc=$?
    [ "$rc" = 7 ] || die "something already answers on $IP:$PORT (curl exit $rc); stop it or set IP/PORT"
    local args=(-p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log")
    "$NGINX" -t -q "${args[@]}" 2>"$dir/nginx-t.log" || die "nginx config test failed: $(cat "$dir/nginx-t.log" "$dir/error.log" 2>/dev/null)"
    "$NGINX" "${args[@]}" </dev/null >"$dir/nginx.out" 2>&1 &
    NGINX_PID=$!
    # Only robots.txt (404, outside the limit) is asked: a page would use the zone and the log.
    for _ in $(seq 50); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/robots.txt" || true)
        [ "$code" = 404 ] && return 0
        kill -0 "$NGINX_PID" 2>/dev/null || break
        sleep 0.1
    done
    die "nginx did not come up on $IP:$PORT: $(cat "$dir/nginx.out" "$dir/error.log" 2>/dev/null)"
}

stop_nginx() {
    stop_pid "$NGINX_PID" nginx
    NGINX_PID=
}

# One throw-away instance checks that pages are served with their links and that the limit
# answers 429, so the measured instances see nothing but the crawlers.
check_site() {
    local dir=$WORK/nginx-check body codes
    start_nginx "$dir" 10
    body=$(curl -sf --max-time 2 "$BASE/p/1") || die "nginx does not serve $BASE/p/1"
    grep -q 'href="/p/6"' <<<"$body" || die "$BASE/p/1 does not link to /p/6"
    codes=$(for _ in $(seq 5); do curl -s -o /dev/null -w '%{http_code} ' --max-time 2 "$BASE/p/2"; done)
    [[ $codes == *429* ]] || die "limit_req did not answer 429 to 5 quick requests at 10 r/s, burst 1: $codes"
    stop_nginx
    log "site checked: pages served, limit_req answers 429"
}

# ---------------------------------------------------------------- timing
now_us() { local t=${EPOCHREALTIME/./}; echo $((10#$t)); }
# First 200 or 429 in an access log, as epoch microseconds (nginx $msec has 3 decimals).
first_request_us() {
    local msec
    msec=$(awk '$2 == 200 || $2 == 429 { print $1; exit }' "$1" 2>/dev/null || true)
    [ -n "$msec" ] || return 1
    echo $(((10#${msec%.*}) * 1000000 + (10#${msec#*.}) * 1000))
}
any_alive() {
    local pid
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
    return 1
}

# run_window ACCESS_LOG: waits for nginx's first request, then until DURATION s after it; notes
# crawler processes that exit early. Returns 1 if no request came.
run_window() {
    local access=$1 t0 end now k
    t0=
    for _ in $(seq $((START_TIMEOUT * 5))); do
        t0=$(first_request_us "$access") && break
        t0=
        any_alive "${CRAWL_PIDS[@]}" || break
        sleep 0.2
    done
    if [ -z "$t0" ]; then
        NOTES+=("FAILED: no request reached nginx within ${START_TIMEOUT} s")
        return 1
    fi
    end=$((t0 + DURATION * 1000000))
    local -A gone=()
    for _ in $(seq $((DURATION * 5 + 50))); do
        now=$(now_us)
        ((now >= end)) && break
        for k in "${!CRAWL_PIDS[@]}"; do
            if [ -z "${gone[$k]:-}" ] && ! kill -0 "${CRAWL_PIDS[$k]}" 2>/dev/null; then
                gone[$k]=1
                NOTES+=("process $((k + 1)) exited $(((now - t0) / 1000000)) s after t0")
            fi
        done
        any_alive "${CRAWL_PIDS[@]}" || break
        if ((end - now > 1000000)); then sleep 1; else sleep "0.$(printf '%06d' $((end - now)))"; fi
    done
}

# stop_crawlers GRACE: SIGTERM to every crawler process at once, GRACE s for all to exit, then
# stop_pid (TERM again, 5 s, KILL) for the rest, noted as killed.
stop_crawlers() {
    local grace=$1 pid k
    for pid in "${CRAWL_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq $((grace * 5))); do any_alive "${CRAWL_PIDS[@]}" || break; sleep 0.2; done
    for k in "${!CRAWL_PIDS[@]}"; do
        pid=${CRAWL_PIDS[$k]}
        if kill -0 "$pid" 2>/dev/null; then
            NOTES+=("process $((k + 1)) still running ${grace} s after SIGTERM: killed")
            stop_pid "$pid" crawler
        fi
        wait "$pid" 2>/dev/null || true
    done
    CRAWL_PIDS=()
}

# ---------------------------------------------------------------- crawlers
status_up() { curl -fsS --max-time 2 "http://127.0.0.1:$1/status" 2>/dev/null; }
members() { "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)["members"]))' 2>/dev/null || echo 0; }

# start_fleetcrawl N DIR: N nodes in a fresh cluster, all up and joined, then the seeds submitted.
start_fleetcrawl() {
    local n=$1 dir=$2 cluster="rate-$RANDOM$RANDOM" i port rc up seen=0
    for i in $(seq "$n"); do
        port=$((STATUS_PORT + i - 1))
        rc=0; curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/status" || rc=$?
        [ "$rc" = 7 ] || die "something already answers on status port $port; set STATUS_PORT"
    done
    local warm_flags=()
    if [ "$WARMUP" = 1 ]; then
        # The measured crawl keeps its default name; the warm-up runs beside it.
        echo '[{"name": "default"}, {"name": "warmup"}]' >"$WORK/crawls.json"
        warm_flags=(--crawls "$WORK/crawls.json")
    fi
    for i in $(seq "$n"); do
        FLEETCRAWL_JAVA_OPTS=$FC_JAVA_OPTS "$FC_BIN" node --node-name "r$i" --cluster-name "$cluster" \
            --members 127.0.0.1 --status-port $((STATUS_PORT + i - 1)) --out "$dir/out" \
            --allow-network 127.0.0.0/16 --workers 1 --adaptive-budgets \
            --per-host-concurrency "$CEILING" "${warm_flags[@]}" </dev/null >"$dir/node-$i.log" 2>&1 &
        CRAWL_PIDS+=($!)
    done
    for i in $(seq "$n"); do
        port=$((STATUS_PORT + i - 1)); up=0
        for _ in $(seq $((START_TIMEOUT * 5))); do
            status_up "$port" >/dev/null && { up=1; break; }
            kill -0 "${CRAWL_PIDS[$((i - 1))]}" 2>/dev/null || break
            sleep 0.2
        done
        if [ "$up" = 0 ]; then
            log "node r$i did not start; last log lines:"; tail -n 20 "$dir/node-$i.log" >&2 || true
            NOTES+=("FAILED: node r$i did not start")
            return 1
        fi
    done
    for _ in $(seq 300); do
        seen=$(status_up "$STATUS_PORT" | members || true)
        ((seen >= n)) && break
        sleep 0.2
    done
    if ((seen < n)); then
        NOTES+=("FAILED: only $seen of $n members joined within 60 s")
        return 1
    fi
    if [ "$WARMUP" = 1 ]; then
        warm_up "$dir" "$cluster" || return 1
    fi
    # The clock starts here: the first request nginx logs after this is t0.
    if ! timeout 120 "$FC_BIN" submit --file "$WORK/seeds.txt" --cluster-name "$cluster" \
        --members 127.0.0.1 </dev/null >"$dir/submit.log" 2>&1; then
        log "submit failed:"; tail -n 20 "$dir/submit.log" >&2 || true
        NOTES+=("FAILED: submit failed")
        return 1
    fi
}

# warm_up DIR CLUSTER: the nodes crawl the site from WARM_IP, unthrottled, in a crawl of its own;
# returns once nginx has logged no warm-up request for 2 s (the crawl is over).
warm_up() {
    local dir=$1 cluster=$2 lines last=-1 still=0 p
    for p in $SEED_PAGES; do echo "http://$WARM_IP:$PORT/p/$p"; done >"$dir/warm-seeds.txt"
    if ! timeout 120 "$FC_BIN" submit --file "$dir/warm-seeds.txt" --crawl warmup \
        --cluster-name "$cluster" --members 127.0.0.1 </dev/null >"$dir/warm-submit.log" 2>&1; then
        log "warm-up submit failed:"; tail -n 20 "$dir/warm-submit.log" >&2 || true
        NOTES+=("FAILED: warm-up submit failed")
        return 1
    fi
    for _ in $(seq $((START_TIMEOUT * 5))); do
        sleep 0.2
        lines=$(wc -l <"$dir/nginx/warm.log" 2>/dev/null || echo 0)
        if ((lines > 0 && lines == last)); then still=$((still + 1)); else still=0; fi
        last=$lines
        ((still >= 10)) && { NOTES+=("warm-up: $lines requests to $WARM_IP first"); return 0; }
    done
    NOTES+=("FAILED: the warm-up crawl did not end within ${START_TIMEOUT} s")
    return 1
}

# start_scrapy N DIR: N runspider processes; with N > 1, process k gets seeds k, k + N, ...
start_scrapy() {
    local n=$1 dir=$2 k settings=()
    for s in "${SCRAPY_SETTINGS[@]}"; do settings+=(-s "$s"); done
    for k in $(seq "$n"); do
        mkdir -p "$dir/sc-$k"
        awk -v n="$n" -v k="$k" '(NR - 1) % n == k - 1' "$WORK/seeds.txt" >"$dir/sc-$k/seeds.txt"
        # From its own dir (env -C), so no scrapy.cfg of the caller's cwd leaks in.
        env -C "$dir/sc-$k" "$PY" -m scrapy runspider "$BENCH_DIR/scrapy/site_spider.py" \
            -a seeds="$dir/sc-$k/seeds.txt" "${settings[@]}" -s LOG_FILE="$dir/sc-$k/scrapy.log" \
            </dev/null >"$dir/sc-$k/stdout.log" 2>&1 &
        CRAWL_PIDS+=($!)
    done
}

# ---------------------------------------------------------------- runs
FAILED=0
ROW=0
# run_one RATE CRAWLER N
run_one() {
    local rate=$1 crawler=$2 n=$3 dir started=1 k what
    dir=$WORK/run-$rate-$crawler-$n
    mkdir -p "$dir"
    NOTES=()
    what=$([ "$crawler" = fleetcrawl ] && echo node || echo process)
    log "$crawler, $n $what(s) at $rate r/s, burst $((rate / 10)): starting"
    start_nginx "$dir/nginx" "$rate"
    if [ "$crawler" = fleetcrawl ]; then
        start_fleetcrawl "$n" "$dir" || started=0
    else
        start_scrapy "$n" "$dir"
    fi
    if [ "$started" = 1 ]; then
        run_window "$dir/nginx/access.log" || true
    fi
    if [ "$crawler" = fleetcrawl ]; then stop_crawlers "$FC_STOP_GRACE"; else stop_crawlers "$SCRAPY_STOP_GRACE"; fi
    stop_nginx
    local extra=()
    if [ "$crawler" = fleetcrawl ]; then
        extra=(--fc-out "$dir/out")
        # The warm-up's results are a crawl of their own, beside the measured one.
        [ "$WARMUP" != 1 ] || extra=(--fc-out "$dir/out/default")
    else
        extra=(--scrapy-log)
        for k in $(seq "$n"); do extra+=("$dir/sc-$k/scrapy.log"); done
    fi
    local note_args=()
    for k in "${NOTES[@]}"; do note_args+=(--note "$k"); [[ $k == FAILED* ]] && FAILED=1; done
    ROW=$((ROW + 1))
    "$PY" "$BENCH_DIR/rate/analyse.py" row --access-log "$dir/nginx/access.log" --rate "$rate" \
        --burst $((rate / 10)) --duration "$DURATION" --crawler "$crawler" --nodes "$n" \
        "${extra[@]}" "${note_args[@]}" >"$WORK/rows/$(printf '%02d' "$ROW").json"
    "$PY" "$BENCH_DIR/rate/analyse.py" summary "$WORK/rows/$(printf '%02d' "$ROW").json" >&2
}
check_site
for rate in "${RATE_LIST[@]}"; do
    for crawler in fleetcrawl scrapy; do
        [ "$crawler" = fleetcrawl ] && [ "$SKIP_FLEETCRAWL" = 1 ] && continue
        [ "$crawler" = scrapy ] && [ "$SKIP_SCRAPY" = 1 ] && continue
        for n in "${NODE_LIST[@]}"; do run_one "$rate" "$crawler" "$n"; done
    done
done

# ---------------------------------------------------------------- report
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
JAR_INFO="not run"
if [ "$SKIP_FLEETCRAWL" != 1 ]; then
    JAR_INFO="$(sha256sum "$WORK/fleetcrawl.jar" | cut -c1-12), built $(date -r "$FC_JAR" '+%F %T')"
    JAR_INFO+=" (repository at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'); the jar may include uncommitted changes)"
fi
SCRAPY_VERSION=$([ "$SKIP_SCRAPY" = 1 ] && echo "not run" || "$PY" -m scrapy version 2>/dev/null || echo '?')
mkdir -p "$RESULTS_DIR"
MD=$RESULTS_DIR/rate-$(date +%Y-%m-%d-%H%M%S).md
{
    echo "# Rate-limit benchmark $(date '+%Y-%m-%d %H:%M:%S %z')"
    echo
    echo "## Machine"
    echo
    echo "- nproc: $(nproc); cpu: ${CPU_MODEL:-unknown}; kernel $(uname -r)"
    echo "- java: $( (java -version 2>&1 || echo 'not found') | head -n1)"
    echo "- nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
    echo "- scrapy: $SCRAPY_VERSION"
    echo "- fleetcrawl.jar: $JAR_INFO"
    echo
    echo "## Settings"
    echo
    echo "- nginx $IP:$PORT, 1 worker, keepalive_requests 100000: \`limit_req_zone \$server_name rate=RATE r/s\`, burst RATE/10, nodelay, \`limit_req_status 429\`; robots.txt answered 404 outside the limit. A fresh nginx per crawl."
    echo "- rates (burst): $(for r in "${RATE_LIST[@]}"; do printf '%s (%s) ' "$r" $((r / 10)); done)r/s; duration ${DURATION} s per crawl from nginx's first 200/429; node counts: ${NODE_LIST[*]}"
    echo "- site: $PAGES pages of ~1.5 KB, /p/N links to /p/5N+1 .. /p/5N+5; seeds /p/1, /p/2, /p/3 reach $REACH1, $REACH2, $REACH3 pages; seeds used: $(for p in $SEED_PAGES; do printf '/p/%s ' "$p"; done)${SITE_NOTE:+ (WARNING: $SITE_NOTE)}"
    echo "- per-host ceiling: $CEILING requests in flight"
    echo "- fleetcrawl: \`bin/fleetcrawl node --workers 1 --adaptive-budgets --per-host-concurrency $CEILING --allow-network 127.0.0.0/16\`, FLEETCRAWL_JAVA_OPTS=\"$FC_JAVA_OPTS\", every node of one cluster; the three seeds in one \`submit\` once all nodes are members$([ "$WARMUP" != 1 ] || echo "; WARMUP=1: before it, the nodes crawled the same site unthrottled from $WARM_IP (a crawl of its own, not counted), so the JVMs were warm")"
    echo "- scrapy: \`runspider bench/scrapy/site_spider.py\` with $(printf -- '-s %s ' "${SCRAPY_SETTINGS[@]}")(AutoThrottle and retry otherwise at their defaults); with 3 processes, process k gets only seed /p/k"
    echo "- stop: SIGTERM to every crawler process at t0 + ${DURATION} s; Fleetcrawl gets ${FC_STOP_GRACE} s, Scrapy ${SCRAPY_STOP_GRACE} s to exit before a kill"
    echo
    echo "## Results"
    echo
    echo "Figures from nginx's access log over [t0, t0 + ${DURATION} s), t0 = the first request answered 200 or 429. Goodput and the first 429 share: after the 10 s convergence allowance. Converged at: the earliest second from which every 10 s window has goodput >= 90% of the rate and the 429 share of the rest of the run is <= 2%. Given up: Fleetcrawl result lines not 200 (retractions dropped); Scrapy's \`retry/max_reached\`, summed over processes."
    echo
    "$PY" "$BENCH_DIR/rate/analyse.py" table --series "$WORK"/rows/*.json
} >"$MD"
echo
cat "$MD"
log "results written to $MD"
exit "$FAILED"
