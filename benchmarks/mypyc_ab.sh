#!/bin/bash
# Interleaved A/B(/C) of mypyc-compiled trees against a pure copy of the same commit: process CPU per stage
# (least of 10, profile_cell.py --cpu), then the 100-replication walls (and CPU of the whole process tree,
# /usr/bin/time) and the one-week wall. Probe only: see benchmarks/mypyc-probe.md.
#   VARIANTS="mypyc=/work/wt/mypyc33 pure=/tmp/ref33" ROUNDS=3 benchmarks/mypyc_ab.sh
set -u
cd "$(dirname "$0")/.."
TREE=$PWD; PY=${PY:-/work/venv/bin/python}; ROUNDS=${ROUNDS:-3}
VARIANTS=${VARIANTS:-"mypyc=$TREE pure=/tmp/ref33"}
OUT=${OUT:-/tmp/mypyc33_ab}; mkdir -p "$OUT"
echo "# $(date -u) load: $(uptime)"
for v in $VARIANTS; do
  who=${v%%=*}; root=${v#*=}
  (cd "$root" && PYTHONPATH="$root" $PY -c "import simiop.model.care as c; print('$who', c.__file__)")
done
stages() {  # $1 = label, $2 = tree
  (cd "$2" && PYTHONPATH="$2" $PY "$TREE/benchmarks/profile_cell.py" --config "$2/configs/baseline.yaml" --cpu --runs 10 --top 0) \
    | grep . | sed "s/^/$1 /"
}
wall() {  # $1 = label, $2 = tree, rest = arguments of simiop run
  local label=$1 root=$2; shift 2
  rm -rf "$OUT/run_$label"
  (cd "$root" && PYTHONPATH="$root" /usr/bin/time -f "%e %U %S" -o "$OUT/time_$label" \
     $PY -m simiop run "$@" --out "$OUT/run_$label" >/dev/null 2>"$OUT/err_$label") \
    || { echo "FAILED $label"; cat "$OUT/err_$label"; }
  read -r e u s < "$OUT/time_$label"
  printf "%s wall %.2f s  cpu %.2f s\n" "$label" "$e" "$(echo "$u + $s" | bc)"
}
for round in $(seq "$ROUNDS"); do
  echo "## round $round  load: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "${SKIP_STAGES:-0}" != 1 ]; then
    for v in $VARIANTS; do stages "${v%%=*}" "${v#*=}"; done
  fi
  for args in "r100-none:-r 100 --jobs 2 --tables none --no-report" "r100-all:-r 100 --jobs 2 --tables all --no-report" \
              "1w:-r 1 --horizon 1w --no-report"; do
    for v in $VARIANTS; do
      # shellcheck disable=SC2086
      wall "${v%%=*}-${args%%:*}" "${v#*=}" configs/baseline.yaml ${args#*:}
    done
  done
done
# The last round's 100 3-year replications with every table: the same bytes compiled and pure?
first=${VARIANTS%% *}; first=${first%%=*}
for v in $VARIANTS; do
  who=${v%%=*}; [ "$who" = "$first" ] && continue
  n=0; bad=0
  for f in $(cd "$OUT/run_$who-r100-all" && find . -type f -name "*.csv" | sort); do
    n=$((n+1)); cmp -s "$OUT/run_$who-r100-all/$f" "$OUT/run_$first-r100-all/$f" || bad=$((bad+1))
  done
  echo "100 x 3-year baseline, all tables: $((n-bad)) of $n CSV files of $who identical to $first's"
done
