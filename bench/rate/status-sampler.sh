#!/usr/bin/env bash
# Samples one node's /status every 0.5 s while a rate benchmark runs, and appends one JSON line per
# sample to OUT: [epoch seconds, {s: spacing µs (the pace in force, 0 = unpaced), b: budget in
# flight, l: leased, pps, q: queued, d: done, th: throttled}] for the first frontier key whose name
# contains HOST. Beside nginx's per-second counts it shows the pace against what was sent. /status
# refreshes its frontier figures once a second, so consecutive samples often repeat: the samples
# place each change within about a second, not more finely.
#
#   bash bench/rate/status-sampler.sh OUT [HOST [STATUS_PORT]] &   # stop it by its PID
#
# Needs curl and jq. HOST defaults to rate-bench's measured address, STATUS_PORT to its node 1.
set -uo pipefail
OUT=${1:?usage: status-sampler.sh OUT [HOST [STATUS_PORT]]}
HOST=${2:-127.0.1.41}
PORT=${3:-7291}
while true; do
    t=$(date +%s.%N)
    curl -s --max-time 1 "http://127.0.0.1:$PORT/status" 2>/dev/null |
        jq -c --arg t "$t" --arg h "$HOST" '[$t, [.. | objects | select(has("spacingMicros"))
            | select(.key | tostring | contains($h))
            | {s: .spacingMicros, b: .budget, l: .leased, pps: .pagesPerSecond, q: .queued,
               d: .done, th: .throttled}][0]]' >>"$OUT" 2>/dev/null
    sleep 0.5
done
