#!/usr/bin/env bash
# Connection-pool benchmark: how well Fleetcrawl's pooled HTTP client reuses
# connections, next to aiohttp, against one HTTPS + HTTP/2 origin served by a
# private nginx on loopback, directly and through an authenticating tinyproxy.
#
# Every run fetches the same REQUESTS URLs with CONCURRENCY in flight. Each run
# talks to nginx on its own port, so the TIME_WAIT sockets counted after a run
# are that run's alone (TIME_WAIT lasts 60 s on Linux).
#
# Everything it starts (nginx, tinyproxy, the clients) lives under one temp dir
# and is stopped by PID on exit; the system nginx and tinyproxy, their configs
# and services are never touched. See bench/README.md for the knobs.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

REQUESTS=${REQUESTS:-20000}
CONCURRENCY=${CONCURRENCY:-64}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
# Run ids, in the order they run. Default: all of them.
ALL_RUNS="fc-pooled fc-unpooled fc-pooled-h1 aiohttp-pooled aiohttp-unpooled fc-proxy aiohttp-proxy"
RUNS=${RUNS:-$ALL_RUNS}
SKIP_FLEETCRAWL=${SKIP_FLEETCRAWL:-0}
SKIP_AIOHTTP=${SKIP_AIOHTTP:-0}
SKIP_PROXY=${SKIP_PROXY:-0}
FLEETCRAWL_BIN=${FLEETCRAWL_BIN:-$REPO/bin/fleetcrawl}
FLEETCRAWL_OPTS=${FLEETCRAWL_OPTS:-}
# Seconds to wait after a client exits before counting its TIME_WAIT sockets.
SETTLE=${SETTLE:-1}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
# Debian's python3-aiohttp is installed for /usr/bin/python3; a pyenv or venv
# python3 earlier in PATH would not see it.
PY=/usr/bin/python3

ORIGIN_IP=127.0.0.31
PLAIN_PORT=18080
PROXY_IP=127.0.0.32
PROXY_PORT=18888
PROXY_USER=bench
PROXY_PASS=s3cret
PROXY_URL=http://$PROXY_USER:$PROXY_PASS@$PROXY_IP:$PROXY_PORT
FILES=1000        # /f/0.html .. /f/999.html

# One nginx HTTPS port per run, fixed per run id so a subset keeps its ports,
# plus CHECK_PORT for the set-up checks, so their curl connections leave no
# TIME_WAIT or tunnel log line on a run's port.
CHECK_PORT=18450
declare -A PORT=(
    [fc-pooled]=18443 [fc-unpooled]=18444 [fc-pooled-h1]=18445
    [aiohttp-pooled]=18446 [aiohttp-unpooled]=18447
    [fc-proxy]=18448 [aiohttp-proxy]=18449
)
declare -A LABEL=(
    [fc-pooled]="fleetcrawl pooled" [fc-unpooled]="fleetcrawl unpooled"
    [fc-pooled-h1]="fleetcrawl pooled http1"
    [aiohttp-pooled]="aiohttp pooled" [aiohttp-unpooled]="aiohttp unpooled"
    [fc-proxy]="fleetcrawl via tinyproxy" [aiohttp-proxy]="aiohttp via tinyproxy"
)
TLS_PORTS=$(printf '%s\n' "${PORT[@]}" "$CHECK_PORT" | sort -n | tr '\n' ' ')
TLS_PORTS=${TLS_PORTS% }

log() { printf '[pool-bench] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for r in $RUNS; do [ -n "${PORT[$r]:-}" ] || die "unknown run id '$r' in RUNS (known: $ALL_RUNS)"; done
[[ $REQUESTS =~ ^[1-9][0-9]*$ ]] || die "REQUESTS must be a positive integer"
[[ $CONCURRENCY =~ ^[1-9][0-9]*$ ]] || die "CONCURRENCY must be a positive integer"

# ---------------------------------------------------------------- packages
ensure_packages() {
    local need=()
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
    { [ -x "$PY" ] && "$PY" -c 'import aiohttp' 2>/dev/null; } || need+=(python3-aiohttp)
    command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ] || need+=(tinyproxy)
    [ -x /usr/bin/time ] || need+=(time)
    command -v ss >/dev/null 2>&1 || need+=(iproute2)
    command -v openssl >/dev/null 2>&1 || need+=(openssl)
    command -v curl >/dev/null 2>&1 || need+=(curl)
    install_missing "${need[@]}"
}

# ---------------------------------------------------------------- cleanup
RUN=
NGINX_PID=
PROXY_PID=
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
    # tinyproxy runs in the foreground (-d) as our child: $! is tinyproxy itself.
    stop_pid "$PROXY_PID" tinyproxy
    [ -n "$RUN" ] && rm -rf "$RUN"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM



# TIME_WAIT sockets with nginx port $1 on either end: client side when the
# client closed first, server side when nginx did (Connection: close).
time_wait_count() {
    ss -tan state time-wait "( dport = :$1 or sport = :$1 )" | tail -n +2 | wc -l
}

# CONNECT requests tinyproxy logged for nginx port $1. Every line at LogLevel
# Connect starts with "CONNECT", so grepping for the word alone counts them all;
# the request line is: ... Request (file descriptor 7): CONNECT 127.0.0.31:18448 HTTP/1.1
tunnel_count() {
    local n
    n=$(grep -c "): CONNECT $ORIGIN_IP:$1 HTTP/" "$RUN/proxy/tinyproxy.log" 2>/dev/null) || true
    echo "${n:-0}"
}

# Writes REQUESTS URLs cycling over the FILES pages of https://ORIGIN:$1.
write_urls() {
    awk -v n="$REQUESTS" -v f="$FILES" -v base="https://$ORIGIN_IP:$1/f/" \
        'BEGIN { for (i = 0; i < n; i++) printf "%s%d.html\n", base, i % f }' >"$2"
}

# Status code of a curl request ("000" when none came back).
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" || true; }
# Status of the proxy's answer to curl's CONNECT ("000" when none came back).
connect_code() { curl -s -o /dev/null -w '%{http_connect}' --max-time 5 "$@" || true; }

# ---------------------------------------------------------------- setup
ensure_packages
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
TINYPROXY=$(command -v tinyproxy 2>/dev/null || echo /usr/bin/tinyproxy)

# If something already listens on one of our addresses, the checks below could
# pass against it and we would benchmark the wrong server.
for p in $TLS_PORTS $PLAIN_PORT; do
    [ -z "$(ss -Hltn "sport = :$p")" ] || die "port $p is already in use (ss -ltn 'sport = :$p')"
done
[ -z "$(ss -Hltn "sport = :$PROXY_PORT")" ] || die "port $PROXY_PORT is already in use"

umask 022
RUN=$(mktemp -d "${TMPDIR:-/tmp}/pool-bench.XXXXXX")
# nginx workers and tinyproxy run as nobody when we are root; mktemp's 0700 would lock them out.
chmod 755 "$RUN"
mkdir -p "$RUN/nginx/tmp" "$RUN/www/f" "$RUN/proxy" "$RUN/tls"
CERT=$RUN/tls/cert.pem
KEY=$RUN/tls/key.pem

log "self-signed certificate for IP $ORIGIN_IP (EC P-256)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=$ORIGIN_IP" -addext "subjectAltName=IP:$ORIGIN_IP" \
    -keyout "$KEY" -out "$CERT" 2>"$RUN/tls/openssl.log" \
    || { cat "$RUN/tls/openssl.log" >&2; die "openssl could not make the certificate"; }

log "writing $FILES pages of ~2 KB"
filler=$(printf 'Fleetcrawl pool bench filler text, %04d. ' $(seq 1 48))
for ((i = 0; i < FILES; i++)); do
    printf '<!doctype html>\n<html><head><title>page %d</title></head>\n<body><h1>page %d</h1>\n<p>%s</p>\n</body></html>\n' \
        "$i" "$i" "$filler" >"$RUN/www/f/$i.html"
done

# Temp-path directives of modules built --without-* are unknown directives.
NGINX_V=$("$NGINX" -V 2>&1 || true)
temp_paths="    client_body_temp_path $RUN/nginx/tmp/client_body;"
for m in proxy fastcgi uwsgi scgi; do
    [[ $NGINX_V == *"--without-http_${m}_module"* ]] || temp_paths+=$'\n'"    ${m}_temp_path $RUN/nginx/tmp/$m;"
done
listen_lines=
for p in $TLS_PORTS; do listen_lines+="        listen $ORIGIN_IP:$p ssl http2;"$'\n'; done
{
    echo "# Generated by bench/pool-bench.sh; lives only in the bench run dir."
    # One worker so nginx takes at most one of the two cores.
    echo "worker_processes 1;"
    # Foreground: we start it as our own child and can always stop exactly it.
    echo "daemon off;"
    echo "pid $RUN/nginx/nginx.pid;"
    echo "error_log $RUN/nginx/error.log warn;"
    # As root, workers would otherwise run as the compiled-in default user;
    # nobody can read the pages because the run dir is world-readable.
    [ "$(id -u)" = 0 ] && echo "user nobody nogroup;"
    cat <<EOF
events { worker_connections 4096; }
http {
    access_log off;
    # Since nginx 1.19.7 these two also govern HTTP/2 connections
    # (http2_idle_timeout and http2_max_requests are obsolete).
    keepalive_timeout 65;
    keepalive_requests 100000;
    sendfile on;
    tcp_nopush on;
    server_tokens off;
    types { text/html html; }
    default_type application/octet-stream;
$temp_paths
    server {
$listen_lines        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        root $RUN/www;
    }
    server {
        listen $ORIGIN_IP:$PLAIN_PORT;
        root $RUN/www;
    }
}
EOF
} >"$RUN/nginx/nginx.conf"

NGINX_ARGS=(-c "$RUN/nginx/nginx.conf" -p "$RUN/nginx/" -e "$RUN/nginx/error.log")
"$NGINX" -t -q "${NGINX_ARGS[@]}" || { cat "$RUN/nginx/error.log" >&2 || true; die "nginx config test failed"; }
"$NGINX" "${NGINX_ARGS[@]}" </dev/null &
NGINX_PID=$!

up=0
for _ in $(seq 50); do
    [ "$(http_code --cacert "$CERT" "https://$ORIGIN_IP:$CHECK_PORT/f/1.html")" = 200 ] && { up=1; break; }
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.1
done
if [ "$up" = 0 ] || ! kill -0 "$NGINX_PID" 2>/dev/null; then
    cat "$RUN/nginx/error.log" >&2 || true
    die "nginx did not come up on https://$ORIGIN_IP:$CHECK_PORT"
fi
# The certificate must verify (SAN IP) and ALPN must pick h2; every run port
# is a listen of the same server, so it is enough that they all listen.
v=$(curl -s -o /dev/null -w '%{http_code} %{http_version}' --max-time 5 --http2 \
    --cacert "$CERT" "https://$ORIGIN_IP:$CHECK_PORT/f/999.html" || true)
[ "$v" = "200 2" ] || die "https://$ORIGIN_IP:$CHECK_PORT/f/999.html: expected '200 2' (status, HTTP version), got '$v'"
for p in $TLS_PORTS; do
    [ -n "$(ss -Hltn "src $ORIGIN_IP:$p")" ] || die "nginx does not listen on $ORIGIN_IP:$p"
done
[ "$(http_code "http://$ORIGIN_IP:$PLAIN_PORT/f/1.html")" = 200 ] || die "plain http://$ORIGIN_IP:$PLAIN_PORT not serving"
log "nginx pid $NGINX_PID: https (h2) on $ORIGIN_IP ports $TLS_PORTS, http on $PLAIN_PORT"

# ---------------------------------------------------------------- tinyproxy
PROXY_RUNS=0
for r in $RUNS; do [[ $r == *-proxy ]] && PROXY_RUNS=1; done
[ "$SKIP_PROXY" = 1 ] && PROXY_RUNS=0
if [ "$PROXY_RUNS" = 1 ]; then
    {
        echo "# Generated by bench/pool-bench.sh; lives only in the bench run dir."
        if [ "$(id -u)" = 0 ]; then
            echo "User nobody"
            echo "Group nogroup"
        fi
        echo "Port $PROXY_PORT"
        echo "Listen $PROXY_IP"
        echo "Timeout 600"
        echo "MaxClients 200"
        echo "Allow 127.0.0.0/8"
        echo "BasicAuth $PROXY_USER $PROXY_PASS"
        for p in $TLS_PORTS; do echo "ConnectPort $p"; done
        echo "LogFile \"$RUN/proxy/tinyproxy.log\""
        echo "PidFile \"$RUN/proxy/tinyproxy.pid\""
        # Connect logs every client connection and request line, so each
        # CONNECT tunnel leaves one line we can count.
        echo "LogLevel Connect"
    } >"$RUN/proxy/tinyproxy.conf"
    # tinyproxy drops to nobody before it opens its log file.
    [ "$(id -u)" = 0 ] && chown nobody:nogroup "$RUN/proxy"
    "$TINYPROXY" -d -c "$RUN/proxy/tinyproxy.conf" </dev/null >"$RUN/proxy/stdout.log" 2>&1 &
    PROXY_PID=$!
    up=0
    for _ in $(seq 50); do
        [ "$(http_code --proxy "$PROXY_URL" "http://$ORIGIN_IP:$PLAIN_PORT/f/1.html")" = 200 ] && { up=1; break; }
        kill -0 "$PROXY_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ "$up" = 0 ] || ! kill -0 "$PROXY_PID" 2>/dev/null; then
        cat "$RUN/proxy/stdout.log" "$RUN/proxy/tinyproxy.log" >&2 2>/dev/null || true
        die "tinyproxy did not come up on $PROXY_IP:$PROXY_PORT"
    fi
    code=$(http_code --cacert "$CERT" --proxy "$PROXY_URL" "https://$ORIGIN_IP:$CHECK_PORT/f/1.html")
    [ "$code" = 200 ] || die "CONNECT through tinyproxy with the right password gave $code, not 200"
    code=$(connect_code --cacert "$CERT" --proxy "http://$PROXY_IP:$PROXY_PORT" "https://$ORIGIN_IP:$CHECK_PORT/f/1.html")
    [ "$code" = 407 ] || die "CONNECT through tinyproxy without credentials got $code, not 407"
    # tinyproxy 1.11.1 (Debian 12) answers a *wrong* password with 401 and
    # WWW-Authenticate instead of 407 (tinyproxy issue #532, fixed after 1.11.1).
    code=$(connect_code --cacert "$CERT" --proxy "http://$PROXY_USER:wrong@$PROXY_IP:$PROXY_PORT" "https://$ORIGIN_IP:$CHECK_PORT/f/1.html")
    [[ $code == 40[17] ]] || die "CONNECT through tinyproxy with a wrong password got $code, not 407 (or 401)"
    [ "$(tunnel_count "$CHECK_PORT")" -ge 1 ] || die "tinyproxy logged no CONNECT line; log format changed?"
    log "tinyproxy pid $PROXY_PID on $PROXY_IP:$PROXY_PORT (BasicAuth; wrong password -> $code)"
fi

# ---------------------------------------------------------------- machine
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
# Read from the JDK's release file: starting a JVM just for this is not worth it.
JAVA_VERSION="not found"
if java_bin=$(readlink -f "$(command -v java 2>/dev/null)" 2>/dev/null) && [ -n "$java_bin" ]; then
    JAVA_VERSION=$(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"/\1/p' "$(dirname "$(dirname "$java_bin")")/release" 2>/dev/null || true)
    JAVA_VERSION=${JAVA_VERSION:-"? ($java_bin)"}
fi
MACHINE=(
    "nproc: $(nproc)"
    "cpu: ${CPU_MODEL:-unknown}"
    "kernel: $(uname -r)"
    "java: $JAVA_VERSION"
    "nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
    "python: $("$PY" -c 'import platform; print(platform.python_version())')"
    "aiohttp: $("$PY" -c 'import aiohttp; print(aiohttp.__version__)')"
    "tinyproxy: $("$TINYPROXY" -v 2>&1 | head -n1 | sed 's/^tinyproxy //')"
    "openssl: $(openssl version)"
    "loadavg before: $(cut -d' ' -f1-3 /proc/loadavg)"
)
printf '%s\n' "${MACHINE[@]}"

# ---------------------------------------------------------------- runs
# Table rows: id|requests|ok|errors|seconds|req_s|cpu_s|conns|reused|tw|tunnels|wall|protocol|note
declare -A ROW RATE CONNS REQS
ROWS_ORDER=()
NOTES=()     # failures and skips, shown under the table so a run never looks cleaner than it was
FAILED=0
FC_MISSING=  # set once fleetcrawl or its fetch-bench command turns out to be missing
read -ra FC_EXTRA <<<"$FLEETCRAWL_OPTS"

# Prints the fields of the last JSON object line of file $1, tab-separated:
# requests ok errors seconds requestsPerSecond connectionsOpened reusedShare protocol
parse_result() {
    "$PY" - "$1" <<'EOF'
import json, sys
last = None
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    line = line.strip()
    if line.startswith("{"):
        try:
            last = json.loads(line)
        except ValueError:
            pass
if not isinstance(last, dict) or "requests" not in last:
    sys.exit(1)
g = lambda k, d="": "" if last.get(k) is None else last.get(k, d)
print("\t".join(str(g(k)) for k in ("requests", "ok", "errors", "seconds",
      "requestsPerSecond", "connectionsOpened", "reusedShare", "protocol")))
EOF
}

# run_client ID CMD...: runs one client against PORT[ID] and records its row.
# Returns 2, recording nothing, when the client exited 2 (bad command line), and
# 3 when it exited 1 saying "build it first" (bin/fleetcrawl without its jar):
# the caller decides whether that is a skip or a failure.
run_client() {
    local id=$1; shift
    local port=${PORT[$id]} label=${LABEL[$id]}
    local out=$RUN/$id.out err=$RUN/$id.err timefile=$RUN/$id.time
    local tw_before tun_before rc=0
    tw_before=$(time_wait_count "$port")
    if ((tw_before > 0)); then
        # Left by an earlier bench within the last minute. Old sockets expiring
        # during the run would make "after - before" undercount, so let them go.
        log "$label: waiting up to 61 s for $tw_before TIME_WAIT sockets of an earlier run on port $port to expire"
        for _ in $(seq 61); do
            sleep 1
            tw_before=$(time_wait_count "$port")
            ((tw_before == 0)) && break
        done
    fi
    tun_before=0
    [[ $id == *-proxy ]] && tun_before=$(tunnel_count "$port")
    log "$label: $REQUESTS requests, concurrency $CONCURRENCY, port $port"
    run_timed "$timefile" "$RUN_TIMEOUT" "$@" >"$out" 2>"$err" || rc=$?
    [ "$rc" = 2 ] && return 2
    [ "$rc" = 1 ] && grep -q 'build it first' "$err" && return 3
    sleep "$SETTLE"
    local tw tunnels=
    tw=$(($(time_wait_count "$port") - tw_before))
    [[ $id == *-proxy ]] && tunnels=$(($(tunnel_count "$port") - tun_before))
    local note=
    ((tw_before > 0)) && note+="${tw_before} TIME_WAIT from an earlier run were still there at the start (subtracted); "
    # Linux keeps TIME_WAIT for a fixed 60 s, so in a longer run the sockets
    # closed early have already gone when we count.
    awk -v w="$WALL" -v s="$SETTLE" 'BEGIN { exit !(w + s >= 60) }' \
        && note+="TIME_WAIT undercounts: the run took over 60 s, early closes had expired; "
    local fields
    if [ "$rc" != 0 ] || ! fields=$(parse_result "$out"); then
        FAILED=1
        NOTES+=("$label: FAILED (exit $rc$([ "$rc" = 124 ] && echo ", timed out after ${RUN_TIMEOUT}s")$([ "$rc" = 0 ] && echo ", no JSON result line"))")
        log "$label failed (exit $rc); last stderr lines:"
        tail -n 15 "$err" >&2 || true
        return 0
    fi
    local n ok errors secs rps conns reused proto cpu rss
    IFS=$'\t' read -r n ok errors secs rps conns reused proto <<<"$fields"
    read -r cpu rss < <(time_stats "$timefile")
    if [ "${errors:-0}" != 0 ]; then
        note+="$errors errors ($(grep -m1 -o 'errors: .*' "$err" 2>/dev/null || head -c 200 "$err" | tr '\n' ' ')); "
    fi
    [ "$n" = "$REQUESTS" ] || note+="reported $n requests, expected $REQUESTS; "
    note+="peak RSS ${rss} MiB"
    ROW[$id]="$label|$n|$ok|$errors|$secs|$rps|$cpu|$conns|$reused|$tw|${tunnels:--}|$WALL|${proto:-?}|$note"
    RATE[$id]=$rps
    CONNS[$id]=$conns
    REQS[$id]=$n
    ROWS_ORDER+=("$id")
    return 0
}

run_fleetcrawl() {
    local id=$1; shift
    local label=${LABEL[$id]}
    if [ "$SKIP_FLEETCRAWL" = 1 ]; then NOTES+=("$label: skipped (SKIP_FLEETCRAWL=1)"); return 0; fi
    if [ ! -x "$FLEETCRAWL_BIN" ]; then FC_MISSING="$FLEETCRAWL_BIN missing"; fi
    if [ -n "$FC_MISSING" ]; then
        log "$label: skipped ($FC_MISSING)"
        NOTES+=("$label: not run ($FC_MISSING)")
        return 0
    fi
    local urls=$RUN/urls-${PORT[$id]}.txt rc=0
    write_urls "${PORT[$id]}" "$urls"
    run_client "$id" "$FLEETCRAWL_BIN" fetch-bench --urls "$urls" --concurrency "$CONCURRENCY" \
        --tls-trust-pem "$CERT" "$@" "${FC_EXTRA[@]}" || rc=$?
    local first
    first=$(grep -m1 -v '^[[:space:]]*$' "$RUN/$id.err" 2>/dev/null | cut -c1-200 || true)
    case $rc in
        2)  # The CLI's "bad arguments". If it names fetch-bench (picocli:
            # "Unmatched argument at index 0: 'fetch-bench'"), the command does
            # not exist yet and no fleetcrawl run can work; else only an option
            # of this run is not known (yet).
            if [[ $first == *fetch-bench* || $first == *"missing command"* ]]; then
                FC_MISSING="fetch-bench not available: $first"
            fi
            log "$label: skipped, fleetcrawl exit 2: $first"
            NOTES+=("$label: not run (fleetcrawl exit 2: $first)") ;;
        3)  # bin/fleetcrawl exits 1 before starting a JVM when the jar is not built.
            FC_MISSING="jar not built: $first"
            log "$label: skipped ($FC_MISSING)"
            NOTES+=("$label: not run ($FC_MISSING)") ;;
    esac
    return 0
}

run_aiohttp() {
    local id=$1; shift
    if [ "$SKIP_AIOHTTP" = 1 ]; then NOTES+=("${LABEL[$id]}: skipped (SKIP_AIOHTTP=1)"); return 0; fi
    local urls=$RUN/urls-${PORT[$id]}.txt rc=0
    write_urls "${PORT[$id]}" "$urls"
    run_client "$id" "$PY" "$BENCH_DIR/pool/aiohttp_bench.py" --urls "$urls" \
        --concurrency "$CONCURRENCY" --tls-trust-pem "$CERT" "$@" || rc=$?
    if [ "$rc" -ge 2 ]; then
        FAILED=1
        NOTES+=("${LABEL[$id]}: FAILED (exit $rc: $(head -c 200 "$RUN/$id.err" | tr '\n' ' '))")
    fi
    return 0
}

for id in $RUNS; do
    if [[ $id == *-proxy ]] && [ "$SKIP_PROXY" = 1 ]; then
        NOTES+=("${LABEL[$id]}: skipped (SKIP_PROXY=1)")
        continue
    fi
    case $id in
        fc-pooled)        run_fleetcrawl "$id" ;;
        # --max-connections: the HTTP/1.1 pool holds 8 per origin by default,
        # which would cap an unpooled run at 8 requests in flight, not CONCURRENCY.
        fc-unpooled)      run_fleetcrawl "$id" --no-keep-alive --http1 --max-connections "$CONCURRENCY" ;;
        fc-pooled-h1)     run_fleetcrawl "$id" --http1 --max-connections "$CONCURRENCY" ;;
        fc-proxy)         run_fleetcrawl "$id" --proxy "$PROXY_URL" ;;
        aiohttp-pooled)   run_aiohttp "$id" ;;
        aiohttp-unpooled) run_aiohttp "$id" --no-keep-alive ;;
        aiohttp-proxy)    run_aiohttp "$id" --proxy "$PROXY_URL" ;;
    esac
done

# ---------------------------------------------------------------- report
# ratio A B: req/s of run A / req/s of run B, or n/a.
ratio() {
    if [ -n "${RATE[$1]:-}" ] && [ -n "${RATE[$2]:-}" ]; then
        awk -v a="${RATE[$1]}" -v b="${RATE[$2]}" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'
    else
        echo "n/a"
    fi
}
per100() {
    if [ -n "${CONNS[$1]:-}" ] && [ -n "${REQS[$1]:-}" ] && [ "${REQS[$1]}" -gt 0 ]; then
        awk -v c="${CONNS[$1]}" -v n="${REQS[$1]}" 'BEGIN { printf "%.3f", 100 * c / n }'
    else
        echo "n/a"
    fi
}
RATIOS=(
    "fleetcrawl pooled / fleetcrawl unpooled (req/s): $(ratio fc-pooled fc-unpooled)"
    "fleetcrawl pooled / aiohttp pooled (req/s): $(ratio fc-pooled aiohttp-pooled)"
    "fleetcrawl pooled http1 / aiohttp pooled (req/s): $(ratio fc-pooled-h1 aiohttp-pooled)"
    "fleetcrawl via tinyproxy / aiohttp via tinyproxy (req/s): $(ratio fc-proxy aiohttp-proxy)"
    "aiohttp pooled / aiohttp unpooled (req/s): $(ratio aiohttp-pooled aiohttp-unpooled)"
    "connections opened per 100 requests, fleetcrawl pooled: $(per100 fc-pooled)"
    "connections opened per 100 requests, fleetcrawl pooled http1: $(per100 fc-pooled-h1)"
    "connections opened per 100 requests, aiohttp pooled: $(per100 aiohttp-pooled)"
)

HEADER="run|requests|ok|errors|seconds|req/s|CPU s|conns opened|reused share|TIME_WAIT after|tunnels|wall s|protocol"
echo
{
    echo "$HEADER"
    for id in "${ROWS_ORDER[@]}"; do echo "${ROW[$id]%|*}"; done
} | awk -F'|' '
    # Right-aligned columns without needing column(1) (bsdextrautils).
    { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NF }
    END { for (r = 1; r <= NR; r++) { line = sprintf("%-*s", w[1], cell[r, 1])
              for (i = 2; i <= n; i++) line = line sprintf("  %*s", w[i], cell[r, i])
              print line } }'
echo
printf '%s\n' "${RATIOS[@]}"
for id in "${ROWS_ORDER[@]}"; do r=${ROW[$id]}; echo "  ${r%%|*}: ${r##*|}"; done
for n in "${NOTES[@]}"; do echo "  $n"; done

mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y-%m-%d-%H%M%S)
MD=$RESULTS_DIR/pool-$STAMP.md
{
    echo "# Connection-pool benchmark $(date '+%Y-%m-%d %H:%M:%S %z')"
    echo
    echo "$REQUESTS GETs per run cycling over $FILES static pages of ~2 KB on one origin, concurrency $CONCURRENCY."
    echo "nginx: 1 worker, https + HTTP/2 (ALPN) on $ORIGIN_IP, one port per run ($TLS_PORTS), keepalive_timeout 65, keepalive_requests 100000, EC P-256 self-signed cert."
    echo "tinyproxy on $PROXY_IP:$PROXY_PORT with BasicAuth; tunnels = CONNECT requests it logged for the run's port."
    [ -n "$FLEETCRAWL_OPTS" ] && echo "Fleetcrawl extra options: \`$FLEETCRAWL_OPTS\`"
    echo
    printf -- '- %s\n' "${MACHINE[@]}"
    echo
    echo "| ${HEADER//|/ | } |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for id in "${ROWS_ORDER[@]}"; do
        row=${ROW[$id]%|*}
        echo "| ${row//|/ | } |"
    done
    echo
    printf -- '- %s\n' "${RATIOS[@]}"
    echo
    for id in "${ROWS_ORDER[@]}"; do r=${ROW[$id]}; echo "- ${r%%|*}: ${r##*|}"; done
    for n in "${NOTES[@]}"; do echo "- $n"; done
    echo "- seconds, req/s, conns opened and reused share are each client's own report; seconds leave out start-up (JVM, interpreter)."
    echo "- CPU s (user + sys) from /usr/bin/time -v over the client process tree; nginx and tinyproxy excluded."
    echo "- TIME_WAIT after: sockets in TIME_WAIT with the run's nginx port on either end, ${SETTLE}s after the client exited."
} >"$MD"
log "results written to $MD"

exit "$FAILED"
