#!/usr/bin/env bash
# Scaling benchmark: a latency-bound crawl (200 loopback hosts, 50 ms per response) on 1, 2 and 3
# node JVMs of this machine, each node capped at the same requests in flight, plus the time from
# `fleetcrawl node` to the node fetching. Writes bench/results/scale-<date>.md.
#
#   bash bench/scale-bench.sh                  # HOSTS=200 PAGES=50 DELAY_MS=50 CAP=8
#
# Each run also records what a page cost (bench/costs.py), for docs/SCALING.md's model.
# pages/s is measured in the steady state: from the moment every node is fetching to 90% of the
# site done (JVM start-up and warm-up on a shared 2-core machine would otherwise dominate the
# short runs); the end-to-end rate, submit to drain, is reported beside it.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$REPO/bin/fleetcrawl"
HOSTS=${HOSTS:-200}
PAGES=${PAGES:-50}
DELAY_MS=${DELAY_MS:-50}
CAP=${CAP:-8}
TOTAL=$((HOSTS * PAGES))
log() { echo "[scale-bench] $*" >&2; }
die() { log "$*"; exit 1; }
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -f "$REPO/testkit/target/fleetcrawl-kit.jar" ] || (cd "$REPO" && mvn -B -q package -DskipTests)
command -v curl >/dev/null || die "curl is needed"
WORK=$(mktemp -d)
export FLEETCRAWL_LOG_LEVEL=WARN
SITE_PID=
NODE_PIDS=()
cleanup() {
    for pid in "${NODE_PIDS[@]}"; do stop_pid "$pid" node; done
    [ -n "$SITE_PID" ] && { exec 3>&- || true; wait "$SITE_PID" 2>/dev/null || true; }
    rm -rf "$WORK"
}
trap cleanup EXIT

# The site runs until its stdin (fd 3) closes.
mkfifo "$WORK/site.in"
FLEETCRAWL_JAVA_OPTS="-Xmx512m -XX:+UseSerialGC" "$BIN" tree-site --hosts "$HOSTS" \
    --pages-per-host "$PAGES" --delay-ms "$DELAY_MS" --seeds-file "$WORK/seeds.txt" \
    < "$WORK/site.in" > "$WORK/site.log" 2>&1 &
SITE_PID=$!
exec 3>"$WORK/site.in"
for _ in $(seq 300); do grep -q "tree-site ready" "$WORK/site.log" && break; sleep 0.1; done
grep -q "tree-site ready" "$WORK/site.log" || die "site did not start: $(cat "$WORK/site.log")"

ms() { date +%s%3N; }
status() { curl -fsS "http://127.0.0.1:$1/status"; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
# The first "NAME":number in a /status document, without starting a Python per poll (the
# benchmark polls often; its own CPU use must stay out of the figures). The first "done" is the
# frontier's, the first "pages" the node's counter.
number() { grep -o "\"$1\":[0-9]*" | head -n 1 | cut -d: -f2; }

# run N: starts N nodes, submits the seeds, waits for the drain;
# prints "N steady_pages/s end_to_end_pages/s ready_ms first_ms"
run() {
    local n=$1
    local cluster="scale-$n-$RANDOM" i port t0 ready=0 first=0 start end pps t1 d1 t2 d2 e2e
    NODE_PIDS=()
    t0=$(ms)
    for i in $(seq "$n"); do
        port=$((7180 + i))
        FLEETCRAWL_JAVA_OPTS="-Xmx384m -XX:+UseSerialGC" "$BIN" node --node-name "s$i" \
            --cluster-name "$cluster" --members 127.0.0.1 --status-port "$port" \
            --out "$WORK/results-$n" --allow-network 127.0.0.0/16 --workers 1 \
            --worker-max-in-flight "$CAP" --per-host-concurrency 2 > "$WORK/node-$n-$i.log" 2>&1 &
        NODE_PIDS+=($!)
    done
    for i in $(seq "$n"); do
        port=$((7180 + i))
        for _ in $(seq 1200); do status "$port" >/dev/null 2>&1 && break; sleep 0.1; done
        status "$port" >/dev/null || die "node s$i did not start: $(tail -5 "$WORK/node-$n-$i.log")"
    done
    ready=$(( $(ms) - t0 ))
    for _ in $(seq 100); do
        [ "$(status 7181 | field 'len(d["members"])')" -ge "$n" ] && break; sleep 0.1
    done
    local specs=()
    for i in $(seq "$n"); do specs+=(--node "${NODE_PIDS[$((i - 1))]}:$((7180 + i))"); done
    python3 "$REPO/bench/costs.py" snapshot "${specs[@]}" --site "$SITE_PID" > "$WORK/before-$n.json"
    start=$(ms)
    "$BIN" submit --file "$WORK/seeds.txt" --cluster-name "$cluster" --members 127.0.0.1 \
        > "$WORK/submit-$n.log" 2>&1 || die "submit failed: $(tail -3 "$WORK/submit-$n.log")"
    # Every node fetching: the time until the last of them reports a page.
    for _ in $(seq 600); do
        local all=1
        for i in $(seq "$n"); do
            [ "$(status $((7180 + i)) | number pages)" -gt 0 ] || all=0
        done
        [ "$all" = 1 ] && break; sleep 0.1
    done
    first=$(( $(ms) - start ))
    t1=$(ms); d1=$(status 7181 | number "done")
    t2=$t1; d2=$d1
    for _ in $(seq 1200); do
        d2=$(status 7181 | number "done"); t2=$(ms)
        [ "$d2" -ge $((TOTAL * 9 / 10)) ] && break; sleep 1
    done
    for _ in $(seq 6000); do
        [ "$(status 7181 | number "done")" -ge "$TOTAL" ] && break; sleep 0.2
    done
    end=$(ms)
    # What each page cost (CPU, frontier round trips, bytes between the nodes): docs/SCALING.md.
    python3 "$REPO/bench/costs.py" snapshot "${specs[@]}" --site "$SITE_PID" > "$WORK/after-$n.json"
    python3 "$REPO/bench/costs.py" diff "$WORK/before-$n.json" "$WORK/after-$n.json" \
        > "$WORK/costs-$n.json"
    pps=$(awk -v a="$d1" -v b="$d2" -v s="$t1" -v e="$t2" 'BEGIN { printf "%.1f", (b - a) * 1000 / (e - s) }')
    e2e=$(awk -v t="$TOTAL" -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", t * 1000 / (b - a) }')
    for pid in "${NODE_PIDS[@]}"; do stop_pid "$pid" node; done
    NODE_PIDS=()
    echo "$n $pps $e2e $ready $first"
}

log "site: $HOSTS hosts x $PAGES pages, ${DELAY_MS} ms per response; per node $CAP in flight"
declare -A PPS E2E READY FIRST
for n in 1 2 3; do
    read -r _ pps e2e ready first < <(run "$n")
    PPS[$n]=$pps; E2E[$n]=$e2e; READY[$n]=$ready; FIRST[$n]=$first
    log "$n node(s): $pps pages/s steady ($e2e end to end); up in $ready ms; all fetching $first ms after submit started"
done

out="$REPO/bench/results/scale-$(date +%F-%H%M%S).md"
{
    echo "# Scaling benchmark $(date '+%F %T %z')"
    echo
    echo "Site: $HOSTS hosts x $PAGES pages ($TOTAL), ${DELAY_MS} ms per response, on loopback."
    echo "Each node: 1 worker, --worker-max-in-flight $CAP, --per-host-concurrency 2."
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)."
    echo
    echo "| nodes | pages/s, steady | vs 1 node | pages/s, submit to drain | vs 1 node | \`node\` started to /status up (all), ms | \`submit\` started to every node fetching, ms |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
    for n in 1 2 3; do
        echo "| $n | ${PPS[$n]} | $(awk -v a="${PPS[$n]}" -v b="${PPS[1]}" 'BEGIN { printf "%.2fx", a / b }') | ${E2E[$n]} | $(awk -v a="${E2E[$n]}" -v b="${E2E[1]}" 'BEGIN { printf "%.2fx", a / b }') | ${READY[$n]} | ${FIRST[$n]} |"
    done
    echo
    echo "Per-page costs (\`bench/costs.py\`: CPU of the node JVMs and of the site, frontier round"
    echo "trips, event-bus messages, bytes sent between the nodes), from submit to drain:"
    for n in 1 2 3; do
        echo
        echo "$n node(s):"
        echo '```json'
        cat "$WORK/costs-$n.json"
        echo '```'
    done
} > "$out"
cat "$out"
