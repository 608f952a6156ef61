#!/usr/bin/env bash
# `fleetcrawl` inside the image: the JVM flags Hazelcast needs on Java 17, then the CLI.
#   podman-compose exec node1 fleetcrawl submit --file /path/urls.txt
# Like the entrypoint, it binds this container's address unless FLEETCRAWL_INTERFACE says
# otherwise, so that `submit` and `status` reach the cluster from inside any node container.
#
#   FLEETCRAWL_JAVA_OPTS   JVM flags (default: -Xmx1g -XX:+UseParallelGC)
#   FLEETCRAWL_CLASSPATH   where Fleetcrawl is (default: /app/fleetcrawl.jar)
set -euo pipefail

if [[ -z "${FLEETCRAWL_INTERFACE:-}" ]]; then
  FLEETCRAWL_INTERFACE="$(hostname -i 2>/dev/null | awk '{print $1}')"
  export FLEETCRAWL_INTERFACE
fi

hazelcast_flags=(
  --add-modules java.se
  --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.management/sun.management=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
)
# shellcheck disable=SC2086 # several JVM flags in one variable, split on purpose
# Out of heap: exit (the orchestrator restarts the node, which resumes from the saved state).
exec java ${FLEETCRAWL_JAVA_OPTS:--Xmx1g -XX:+UseParallelGC} -XX:+ExitOnOutOfMemoryError \
  "${hazelcast_flags[@]}" \
  -cp "${FLEETCRAWL_CLASSPATH:-/app/fleetcrawl.jar}" io.fleetcrawl.cli.Fleetcrawl "$@"
