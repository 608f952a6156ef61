#!/usr/bin/env bash
# Container health: the node answers GET /status with 200, which it does once it has joined its
# cluster. Plain bash (/dev/tcp), because a JRE base image has no curl.
set -uo pipefail
host="${FLEETCRAWL_STATUS_HOST:-0.0.0.0}"
[[ "$host" == "0.0.0.0" ]] && host=127.0.0.1
port="${FLEETCRAWL_STATUS_PORT:-7070}"
exec 3<>"/dev/tcp/$host/$port" || exit 1
auth=""
if [[ -n "${FLEETCRAWL_STATUS_TOKEN:-}" ]]; then
  auth="Authorization: Bearer ${FLEETCRAWL_STATUS_TOKEN}"$'\r\n'
fi
printf 'GET /status HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n' "$host" "$auth" >&3
read -r -t 10 line <&3 || exit 1
[[ "$line" == "HTTP/1.1 200 "* ]]
