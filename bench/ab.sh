#!/bin/bash
# Alternating pairs, BASE (default b08e312, before issue 11) against NEW (default HEAD), each from a
# `git archive` on PYTHONPATH: run.py's next + submit, the 20k inline import and the instruction
# counts, on SQLite and PostgreSQL. Run it on a quiet machine (nothing else started); the log
# (bench/results/ab-<stamp>.log) names each run's JSON in bench/results/.
#
#     bench/ab.sh [BASE] [NEW]
#
# AB_DELIVERY_OFF=1 adds a third side, NEW with the worker's event delivery off
# (ACCORD_EVENT_DELIVERY_SECONDS=0); AB_ONLY=hot runs the hot path only.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-b08e312}
NEW=${2:-HEAD}
WORK=$(mktemp -d)
mkdir -p "$WORK/base" "$WORK/new" bench/results
git archive "$BASE" server | tar -x -C "$WORK/base"
git archive "$NEW" server | tar -x -C "$WORK/new"
LOG=bench/results/ab-$(date -u +%Y%m%dT%H%M%SZ).log
SIDES="base new"
[ "${AB_DELIVERY_OFF:-}" = 1 ] && SIDES="base new new-off"
run() { # name side args...
  local name=$1 side=$2; shift 2
  local start load out src delivery=1
  src=${side%-off}
  [ "$side" = new-off ] && delivery=0
  start=$(date -u +%H:%M:%S)
  load=$(cut -d' ' -f1 /proc/loadavg)
  out=$(ACCORD_EVENT_DELIVERY_SECONDS=$delivery PYTHONPATH="$WORK/$src/server/src" \
    timeout 900 .venv/bin/python "$@" 2>&1 \
    | grep -E "written|results/" | tail -2 | tr '\n' ' ' || true)
  echo "$name $side $start load=$load $* -> $out" | tee -a "$LOG"
}
for db in sqlite postgres; do
  for _ in 1 2 3; do
    for side in $SIDES; do
      run hot-path-$db $side bench/run.py --db $db --tasks 20000 --phases import,next,submit \
        --annotators 1,32 --cycles 3200 --submits 4000 --quiet-load 99
    done
  done
done
if [ "${AB_ONLY:-}" = hot ]; then rm -rf "$WORK"; exit 0; fi
for db in sqlite postgres; do
  for _ in 1 2 3; do
    for side in $SIDES; do
      run inline-$db $side bench/inline_import.py --db $db --runs 3
    done
  done
done
for _ in 1 2 3; do
  for side in base new; do
    run instructions $side bench/instructions.py --db sqlite
  done
done
rm -rf "$WORK"
