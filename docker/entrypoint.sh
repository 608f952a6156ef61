#!/usr/bin/env bash
# Starts one Fleetcrawl node from environment variables only (see docker-compose.yml and
# docs/OPERATIONS.md), through the image's `fleetcrawl` launcher (docker/fleetcrawl.sh). Any
# arguments are passed on to `fleetcrawl node` after the ones built here.
#
#   FLEETCRAWL_NODE_NAME      node name (default: the host name)
#   FLEETCRAWL_CRAWL          crawl name (default: default)
#   FLEETCRAWL_CLUSTER_NAME   cluster name; members of another name never join
#   FLEETCRAWL_MEMBERS        comma-separated member addresses, the only ones that may join
#   FLEETCRAWL_KUBERNETES_SERVICE_DNS  instead of a member list: a headless service's DNS name,
#                             which resolves to every member (docker/k8s/fleetcrawl.yaml)
#   FLEETCRAWL_INTERFACE      address to bind and announce (default: this host's first address)
#   FLEETCRAWL_PUBLIC_ADDRESS address other members use, when NAT or port mapping is in between
#   FLEETCRAWL_STATUS_HOST    address of /status and /metrics (default: 0.0.0.0 in a container)
#   FLEETCRAWL_STATUS_PORT    port of /status and /metrics (default: 7070)
#   FLEETCRAWL_STATUS_TOKEN   bearer token /status and /metrics require; needed unless
#                             FLEETCRAWL_STATUS_HOST is a loopback address (read by the node)
#   FLEETCRAWL_OUT            results directory (default: results)
#   FLEETCRAWL_NODE_ARGS      further `fleetcrawl node` flags, split on spaces
#   FLEETCRAWL_JAVA_OPTS      JVM flags (default: -Xmx1g -XX:+UseParallelGC)
#   FLEETCRAWL_CLASSPATH      where Fleetcrawl is (default: /app/fleetcrawl.jar)
#   FLEETCRAWL_LAUNCHER       the launcher (default: /usr/local/bin/fleetcrawl)
set -euo pipefail

name="${FLEETCRAWL_NODE_NAME:-$(hostname)}"
# Bind the address other containers reach us on; loopback would keep the members apart.
iface="${FLEETCRAWL_INTERFACE:-$(hostname -i 2>/dev/null | awk '{print $1}')}"
if [[ -z "$iface" ]]; then
  echo "entrypoint: cannot tell this host's address; set FLEETCRAWL_INTERFACE" >&2
  exit 2
fi
if [[ -z "${FLEETCRAWL_MEMBERS:-}" && -z "${FLEETCRAWL_KUBERNETES_SERVICE_DNS:-}" ]]; then
  echo "entrypoint: FLEETCRAWL_MEMBERS is required (the addresses of the cluster's nodes)," \
    "or FLEETCRAWL_KUBERNETES_SERVICE_DNS (a headless service naming them)" >&2
  exit 2
fi

args=(node
  --node-name "$name"
  --crawl "${FLEETCRAWL_CRAWL:-default}"
  --interface "$iface"
  --status-host "${FLEETCRAWL_STATUS_HOST:-0.0.0.0}"
  --status-port "${FLEETCRAWL_STATUS_PORT:-7070}"
  --out "${FLEETCRAWL_OUT:-results}")
# The node reads FLEETCRAWL_MEMBERS or FLEETCRAWL_KUBERNETES_SERVICE_DNS itself.
if [[ -n "${FLEETCRAWL_CLUSTER_NAME:-}" ]]; then
  args+=(--cluster-name "$FLEETCRAWL_CLUSTER_NAME")
fi
# shellcheck disable=SC2206 # several flags in one variable, split on purpose
extra=(${FLEETCRAWL_NODE_ARGS:-})

export FLEETCRAWL_INTERFACE="$iface"
exec "${FLEETCRAWL_LAUNCHER:-/usr/local/bin/fleetcrawl}" "${args[@]}" "${extra[@]}" "$@"
