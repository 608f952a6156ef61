#!/usr/bin/env bash
# Measures the Hazelcast frontier: enqueue-with-dedup and claim+ack rates, and heap per queued and
# per seen URL (backups included), at 1 and 10 million URLs, with members in one JVM on loopback,
# and the rates with three members in three JVMs (the load driven from the first).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$REPO/bin/fleetcrawl"
[ -f "$REPO/testkit/target/fleetcrawl-kit.jar" ] || (cd "$REPO" && mvn -B -q package -DskipTests)
export FLEETCRAWL_LOG_LEVEL=WARN
run() { # members urls heap [remote members]
    FLEETCRAWL_JAVA_OPTS="-Xmx$3 -XX:+UseParallelGC" timeout 1200 "$BIN" frontier-bench \
        --members "$1" --urls "$2" --keys 1000 --remote-members "${4:-0}" 2>/dev/null | tail -n 1
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)"
for members in 1 2 3; do run "$members" 1000000 4g; done
run 1 1000000 2g 2
run 2 10000000 10g
