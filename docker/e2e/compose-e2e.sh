#!/usr/bin/env bash
# The container path, end to end, with podman (called by .ci/run; needs root):
#   the image builds and is measured; `compose up` forms one 3-member cluster whose members are
#   listed by host name; a crawl fed with `submit` from inside a node container, of a site served
#   inside the compose network, ends with every page in the shared results volume; Prometheus
#   scrapes every node; a node stopped with SIGTERM and another killed with SIGKILL mid-crawl lose
#   nothing; an operator's pause holds on every node, and on a fourth node started with compose
#   while paused, which joins and takes work after the resume.
# Everything is torn down on exit (containers, network, volume); the images are kept.
#
#   bash docker/e2e/compose-e2e.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

PROJECT=fleetcrawl-e2e
TOKEN="compose-demo-status-token"
HOSTS=(site-a site-b site-c)
export E2E_PAGES_PER_HOST=${E2E_PAGES_PER_HOST:-3000}
export E2E_DELAY_MS=${E2E_DELAY_MS:-50}
PAGES=$((${#HOSTS[@]} * E2E_PAGES_PER_HOST))
compose=(podman-compose -p "$PROJECT" -f docker/docker-compose.yml -f docker/compose.node4.yml
  -f docker/e2e/compose.e2e.yml)
started=$(date +%s)

log() { printf 'compose-e2e [%3ds] %s\n' $(($(date +%s) - started)) "$*"; }
fail() {
  log "FAILED: $*"
  # What the cluster held when it failed: a drained frontier and a stuck one need different fixes.
  for n in 1 4; do
    echo "--- node$n /status: frontier and counters"
    status "$n" 2>/dev/null | jq -c '{frontier, counters: .node.counters}' 2>/dev/null || true
  done
  for c in node1 node2 node3 node4 "${HOSTS[@]}"; do
    echo "--- ${PROJECT}_${c}_1 (last lines)"
    podman logs --tail 30 "${PROJECT}_${c}_1" 2>&1 || true
  done
  exit 1
}
down() {
  # Removing the containers with -v also removes the anonymous volumes the image's VOLUME gives
  # the site containers, which `down -v` (podman-compose 1.0) leaves behind.
  local ours
  ours=$(podman ps -aq --filter "label=io.podman.compose.project=$PROJECT" 2>/dev/null || true)
  if [[ -n "$ours" ]]; then
    # shellcheck disable=SC2086 # one container id per word
    podman rm -f -v $ours >/dev/null 2>&1 || true
  fi
  "${compose[@]}" down -v >/dev/null 2>&1 || true
  # podman-compose 1.0 leaves the network behind.
  podman network rm -f "${PROJECT}_crawl" >/dev/null 2>&1 || true
}
trap down EXIT

# GET a node's /status (node N on host port 707N).
status() { curl -sf --max-time 10 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:707$1/status"; }
# Waits until a jq condition holds on node N's /status, or fails naming it.
await() {
  local node=$1 cond=$2 what=$3 limit=${4:-180} t0
  t0=$(date +%s)
  until status "$node" 2>/dev/null | jq -e "$cond" >/dev/null 2>&1; do
    (($(date +%s) - t0 < limit)) || fail "$what (node$node, ${limit}s)"
    sleep 1
  done
  log "$what"
}

# The shared preparation script sits beside the checkout on these machines.
prepare=${PREPARE_PODMAN:-}
for candidate in ../shared/containers/prepare-podman.sh /work/shared/containers/prepare-podman.sh; do
  [[ -z "$prepare" && -f "$candidate" ]] && prepare=$candidate
done
[[ -n "$prepare" ]] || fail "prepare-podman.sh not found; set PREPARE_PODMAN to its path"
log "preparing podman and the base images ($prepare)"
bash "$prepare" \
  jdk=maven:3.8.7-eclipse-temurin-17 jre=eclipse-temurin:17-jre prometheus=prom/prometheus:v2.53.0
# Podman's CNI networks resolve container names only with the dnsname plugin.
if [[ ! -x /usr/lib/cni/dnsname ]]; then
  apt-get install -y -qq --no-install-recommends golang-github-containernetworking-plugin-dnsname \
    >/dev/null
fi
down

log "building the image"
podman build -q --format docker -f docker/Dockerfile -t fleetcrawl:latest . >/dev/null
# The site is the test kit's tree-site, which the node image does not ship: the kit's image is
# the same build with the kit's jar (cached stages, so this takes seconds).
podman build -q --format docker -f docker/Dockerfile --target kit -t fleetcrawl-kit:latest . >/dev/null
size=$(podman image inspect fleetcrawl:latest --format '{{.Size}}')
base=$(podman image inspect eclipse-temurin:17-jre --format '{{.Size}}')
log "image fleetcrawl:latest: $((size / 1000000)) MB ($(((size - base) / 1000000)) MB over its JRE base)"
user=$(podman image inspect fleetcrawl:latest --format '{{.Config.User}}')
[[ "$user" == "10001:10001" ]] || fail "the image runs as '$user', not the unprivileged 10001"
# The kit's commands are not in the node image: picocli does not know the command there.
# (--pages-per-host 0 makes a kit that is there refuse at once instead of serving.)
absent=$(podman run --rm --entrypoint /usr/local/bin/fleetcrawl fleetcrawl:latest \
  tree-site --pages-per-host 0 2>&1 || true)
[[ "$absent" == *"Unmatched argument"*"tree-site"* ]] \
  || fail "the node image ships the test kit's tree-site: $absent"
podman image inspect fleetcrawl:latest --format '{{json .Config.Healthcheck}}' | grep -q healthcheck.sh \
  || fail "the image has no health check"

log "starting three nodes, Prometheus and the site"
"${compose[@]}" up -d node1 node2 node3 prometheus "${HOSTS[@]}" >/dev/null 2>&1 || fail "compose up"
await 1 '.members | length == 3' "one cluster of three members (listed by host name)"
for n in 1 2 3; do
  await "$n" '.members | length == 3' "node$n sees three members" 60
  podman healthcheck run "${PROJECT}_node${n}_1" >/dev/null || fail "node$n health check"
done
log "every node's health check passes"

log "submitting ${#HOSTS[@]} hosts x $E2E_PAGES_PER_HOST pages from inside node1"
printf 'http://%s:8080/p/0\n' "${HOSTS[@]}" \
  | podman exec -i -e FLEETCRAWL_JAVA_OPTS=-Xmx256m "${PROJECT}_node1_1" fleetcrawl submit \
      --crawl default >/tmp/compose-e2e-submit.log 2>&1 \
  || { cat /tmp/compose-e2e-submit.log; rm -f /tmp/compose-e2e-submit.log; fail "submit"; }
rm -f /tmp/compose-e2e-submit.log

# An operator's command, from inside node1 as an operator would run it.
control() {
  podman exec -e FLEETCRAWL_JAVA_OPTS=-Xmx256m "${PROJECT}_node1_1" fleetcrawl control \
    --crawl default "$@" >/tmp/compose-e2e-control.log 2>&1 \
    || { cat /tmp/compose-e2e-control.log; rm -f /tmp/compose-e2e-control.log; fail "control $*"; }
  rm -f /tmp/compose-e2e-control.log
  log "control $*: applied on every node"
}

targets() { curl -sf --max-time 10 http://127.0.0.1:9090/api/v1/targets; }
t0=$(date +%s)
until targets | jq -e '[.data.activeTargets[] | select(.health == "up") | .labels.instance]
    | (index("node1:7070") and index("node2:7070") and index("node3:7070")) != null' >/dev/null 2>&1; do
  (($(date +%s) - t0 < 90)) || { targets | jq . || true; fail "Prometheus scrapes node1..node3"; }
  sleep 2
done
log "Prometheus scrapes node1, node2 and node3 (targets API: up)"

await 1 ".frontier.done >= $((PAGES / 5))" "20% done: stopping node2 with SIGTERM"
podman stop -t 60 "${PROJECT}_node2_1" >/dev/null

# A fourth node takes ~30 s to start, and a fast machine crawls what is left in less: the crawl is
# paused while node4 joins, so it joins a crawl with work left on every machine, and node3 is
# killed after the resume, while it fetches.
await 1 ".frontier.done >= $((PAGES * 3 / 10))" "30% done: pausing the crawl while node4 joins"
control pause
await 1 '.node.controls.paused == true' "node1 reports the crawl paused" 30
left=$(status 1 | jq '.frontier.queued + .frontier.leased')
((left > 0)) || fail "the crawl finished before the pause took hold; raise E2E_PAGES_PER_HOST"
"${compose[@]}" up -d node4 >/dev/null 2>&1 || fail "compose up node4"
await 4 '.members | length >= 3' "node4 joined the cluster ($left URLs left)" 120
await 4 '.node.controls.paused == true' "node4 finds the crawl paused" 30
await 4 '.node.counters.pages == 0' "node4 fetched nothing while paused" 5
control resume

# Killed once it has fetched again since the resume, so it dies holding leases.
node3_before=$(status 3 | jq '.node.counters.pages')
await 3 ".node.counters.pages > $node3_before" "node3 fetches again: killing it with SIGKILL" 60
podman kill -s KILL "${PROJECT}_node3_1" >/dev/null
await 4 '.node.counters.pages > 0' "node4 takes work" 120

await 1 ".frontier.queued == 0 and .frontier.leased == 0 and .frontier.done + .frontier.failed >= $PAGES" \
  "the crawl drained" 600

volume=$(podman volume inspect "${PROJECT}_results" --format '{{.Mountpoint}}')
got=$(cat "$volume"/default/pages-*.jsonl | jq -r 'select(.status == 200) | .url' | sort -u | wc -l)
dupes=$(cat "$volume"/default/pages-*.jsonl | jq -r '.url' | sort | uniq -d | wc -l)
node4=$(cat "$volume"/default/pages-node4-*.jsonl 2>/dev/null | wc -l)
log "results volume: $got distinct pages fetched of $PAGES, $dupes URLs with more than one line"
for n in 1 2 3 4; do
  log "  node$n wrote $(cat "$volume"/default/pages-node"$n"-*.jsonl 2>/dev/null | wc -l) lines"
done
((got == PAGES)) || fail "pages lost: $got of $PAGES in the results volume"
((node4 > 0)) || fail "node4 wrote no results"
failed=$(status 1 | jq '.frontier.failed')
((failed == 0)) || fail "$failed URLs failed"

until targets | jq -e '[.data.activeTargets[] | select(.health == "up") | .labels.instance]
    | index("node4:7070") != null' >/dev/null 2>&1; do
  (($(date +%s) - t0 < 600)) || fail "Prometheus scrapes node4"
  sleep 2
done
log "Prometheus scrapes node4 too"
log "PASSED in $(($(date +%s) - started)) s"
