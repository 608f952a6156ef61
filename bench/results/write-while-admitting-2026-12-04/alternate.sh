#!/usr/bin/env bash
# Alternates rate-bench runs of two builds; ORDER is a list of new/old.
set -u
OUT=${OUT:-/tmp/ab/out}
mkdir -p "$OUT"
for b in ${ORDER:-new old old new}; do
  case $b in new) R=/tmp/fc-new;; old) R=/tmp/fc-old;; esac
  mkdir -p "$OUT/$b"
  echo "== $(date +%T) $b"
  stamp=$(date +%H%M%S)
  HOGPID=
  # HOG=1: one core kept busy by a shell loop for the run, the same for both builds, to see them
  # on a machine as busy as in the runs that missed.
  if [ "${HOG:-0}" = 1 ]; then bash -c 'while :; do :; done' & HOGPID=$!; fi
  bash /work/main/bench/rate/status-sampler.sh "$OUT/$b/status-$stamp.jsonl" & SAMPLER=$!
  RATES=${RATES:-200} PAGES=5000 DURATION=${DURATION:-35} SEED_PAGES="1 2 3 4 5" NODES="${NODES:-3}" WARMUP=1 SKIP_SCRAPY=1 \
    RESULTS_DIR="$OUT/$b" bash "$R/bench/rate-bench.sh" > "$OUT/$b/log-$stamp.txt" 2>&1
  kill $SAMPLER
  [ -n "$HOGPID" ] && kill $HOGPID
  f=$(ls -t "$OUT/$b"/rate-*.md | head -1)
  grep -E '^\| [0-9]+ \(' "$f" | awk -F'|' '{print "   429s", $8, $11, " whole-crawl", $13}'
  grep 'fleetcrawl x' "$f" | cut -c1-250
done
echo "== done $(date +%T)"
