#!/bin/bash
# Build a pure and a mypyc wheel of this tree in a scratch copy (with benchmarks/mypyc_setup.py as
# setup.py), time them, list their sizes and tags, and try the compiled build without a C compiler.
# Probe only: benchmarks/mypyc-probe.md.
set -u
cd "$(dirname "$0")/.."
PY=${PY:-$PWD/.venv/bin/python}; WORK=${WORK:-/tmp/mypyc33_pkg}
rm -rf "$WORK"; mkdir -p "$WORK/src"
git ls-files -z | xargs -0 -I{} cp --parents {} "$WORK/src/"
cp benchmarks/mypyc_setup.py "$WORK/src/setup.py"
cd "$WORK/src"
build() {  # $1 = label, rest = environment
  local label=$1; shift
  local t0; t0=$(date +%s.%N)
  env "$@" "$PY" -m pip wheel --no-build-isolation --no-deps -q -w "$WORK/$label" . >"$WORK/$label.log" 2>&1
  local rc=$? t1; t1=$(date +%s.%N)
  printf "%s: rc %s, %.0f s\n" "$label" "$rc" "$(echo "$t1 - $t0" | bc)"
  ls -la "$WORK/$label" 2>/dev/null | awk 'NR>1 && $9 ~ /whl/ {print "  " $9, $5, "bytes"}'
  for w in "$WORK/$label"/*.whl; do [ -f "$w" ] && "$PY" -m zipfile -l "$w" | awk '/\.so / {print "    " $1, $NF}'; done
  rm -rf build ./*.egg-info
}
build pure
build mypyc SIMIOP_USE_MYPYC=1
build mypyc-no-cc SIMIOP_USE_MYPYC=1 CC=/nonexistent/cc
tail -3 "$WORK/mypyc-no-cc.log"
