#!/usr/bin/env bash
# Where a crawl's CPU goes: runs bench/crawl-bench.sh once (Fleetcrawl only) with JDK Flight
# Recorder on, then prints CPU seconds per 1,000 pages by stage (bench/jfr_stages.py explains
# how samples are assigned). Writes bench/results/profile-<date-time>.md and keeps the recording
# beside it.
#
#   flock /tmp/fleetcrawl-cpu.lock bash bench/profile-crawl.sh    # the caller takes the CPU lock
#
# Environment: FLEETCRAWL_BIN [bin/fleetcrawl], RESULTS_DIR [bench/results], and crawl-bench.sh's
# own knobs (HOSTS, PAGES, BUDGETS, ...). JFR's "profile" settings, with two changes in the copy
# made below: Java stacks are sampled every 1 ms (not 10 ms) and thread CPU loads every second
# (not 10 s), so a 20-second crawl gives thousands of samples. The recording costs a few percent.
set -euo pipefail
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
STAMP=$(date +%Y-%m-%d-%H%M%S)
WORK=$(mktemp -d /tmp/profile-crawl.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

JAVA_HOME_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
sed -e '/<event name="jdk.ThreadCPULoad">/,/<\/event>/s|<setting name="period">[^<]*</setting>|<setting name="period">1 s</setting>|' \
    -e '/<event name="jdk.ExecutionSample">/,/<\/event>/s|<setting name="period"\([^>]*\)>[^<]*</setting>|<setting name="period"\1>1 ms</setting>|' \
    "$JAVA_HOME_DIR/lib/jfr/profile.jfc" >"$WORK/crawl.jfc"
grep -A2 'jdk.ThreadCPULoad' "$WORK/crawl.jfc" | grep -q '>1 s<' || { echo "could not set the CPU load period" >&2; exit 1; }
grep -A2 '"jdk.ExecutionSample"' "$WORK/crawl.jfc" | grep -q '>1 ms<' || { echo "could not set the sampling period" >&2; exit 1; }

mkdir -p "$RESULTS_DIR"
RECORDING=$RESULTS_DIR/profile-$STAMP.jfr
export FLEETCRAWL_JAVA_OPTS="-Xmx1g -XX:+UseParallelGC -XX:StartFlightRecording=filename=$RECORDING,settings=$WORK/crawl.jfc,dumponexit=true"
SKIP_SCRAPY=1 RESULTS_DIR=$WORK/bench bash "$BENCH_DIR/crawl-bench.sh" >"$WORK/bench.log" 2>&1 || {
    tail -20 "$WORK/bench.log" >&2
    exit 1
}
row=$(grep -hE '^\| fleetcrawl ' "$WORK"/bench/*.md | head -1 || true)
[ -n "$row" ] || { echo "no fleetcrawl row in the benchmark's report" >&2; exit 1; }
pages=$(awk -F'|' '{gsub(/ /, "", $3); print $3}' <<<"$row")
cpu=$(awk -F'|' '{gsub(/ /, "", $6); print $6}' <<<"$row")

{
    echo "# Crawl profile, $STAMP"
    echo
    echo "Command: \`flock /tmp/fleetcrawl-cpu.lock bash bench/profile-crawl.sh\` ($(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'))"
    echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(java -version 2>&1 | head -1)"
    echo
    echo "The crawl benchmark's row (with JFR on):"
    echo
    grep -hE '^\|( crawler | fleetcrawl |---)' "$WORK"/bench/*.md | head -3
    echo
    python3 "$BENCH_DIR/jfr_stages.py" "$RECORDING" "$pages" "$cpu"
} | tee "$RESULTS_DIR/profile-$STAMP.md"
