#!/bin/bash
# Compile simiop's hot model modules with mypyc, in place (.so beside the .py; a shared
# <hash>__mypyc.*.so at the repository root). Probe only (benchmarks/mypyc-probe.md):
# remove the .so files (benchmarks/mypyc_build.sh --clean) to be back on pure Python.
set -eu
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
if [ "${1:-}" = "--clean" ]; then
  rm -f simiop/model/*.so ./*__mypyc.*.so; rm -rf build; echo "cleaned"; exit 0
fi
M=simiop/model
MODULES=${MODULES:-"care stay sessions delivery events programme clock referrals intake records patients"}
files=(); for m in $MODULES; do files+=("$M/$m.py"); done
# FILES (paths from the repository root) replaces the list, e.g. the probe's "wide" build of 26 modules:
# every simiop/model module but __init__, clinic and attendance (those two compiled: a segfault at import),
# plus billing, streams and results/{tables,columns,kpis,periods,csv_matrix,session_kpis,intake_kpis}.
if [ -n "${FILES:-}" ]; then read -r -a files <<< "$FILES"; fi
time "$PY" -m mypyc "${files[@]}"
