# Helpers shared by the bench scripts; sourced, not run. The caller defines log() and die().
# shellcheck shell=bash

# The /usr/bin/time process of the run under way, for the caller's cleanup trap.
CHILD_PID=

# Stops one process of ours: TERM, up to 5 s, then KILL (children first, so an nginx worker
# whose master is gone does not linger on its own).
# shellcheck disable=SC2317  # called from the scripts' traps
stop_pid() {
    local pid=$1 what=$2
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        log "$what $pid ignored TERM, killing it"
        pkill -KILL -P "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# Stops the run under way, if any. CHILD_PID is /usr/bin/time, which does not forward signals;
# its only child is `timeout`, which passes TERM on to the measured process.
# shellcheck disable=SC2317  # called from the scripts' traps
stop_timed_child() {
    if [ -n "$CHILD_PID" ] && kill -0 "$CHILD_PID" 2>/dev/null; then
        pkill -TERM -P "$CHILD_PID" 2>/dev/null || true
        wait "$CHILD_PID" 2>/dev/null || true
    fi
}

# Installs the Debian packages named (when missing) with apt-get; needs root.
install_missing() {
    (($# == 0)) && return 0
    local need=("$@")
    [ "$(id -u)" = 0 ] || die "missing packages (${need[*]}); run as root or install them"
    log "installing: ${need[*]}"
    apt-get update -qq
    # nginx-light is a transitional package on newer Debian and may vanish;
    # plain nginx serves static files (and TLS, HTTP/2) just as well.
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; then
        need=("${need[@]/#nginx-light/nginx}")
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    fi
}

# run_timed TIMEFILE TIMEOUT_S CMD...: runs CMD under /usr/bin/time -v and timeout; sets WALL
# (seconds). Backgrounded + wait so that INT/TERM reach the caller's trap at once.
run_timed() {
    local timefile=$1 limit=$2; shift 2
    local t0 t1 rc=0
    t0=$(date +%s.%N)
    /usr/bin/time -v -o "$timefile" timeout --kill-after=15 "$limit" "$@" &
    CHILD_PID=$!
    wait "$CHILD_PID" || rc=$?
    CHILD_PID=
    t1=$(date +%s.%N)
    # shellcheck disable=SC2034  # read by the scripts that source this file
    WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    return "$rc"
}

# Prints "cpu_seconds max_rss_mib" from a /usr/bin/time -v report.
time_stats() {
    awk -F': ' '
        /User time \(seconds\)/   { u = $2 }
        /System time \(seconds\)/ { s = $2 }
        /Maximum resident set size/ { r = $2 }
        END { printf "%.2f %.1f\n", u + s, r / 1024 }' "$1"
}
