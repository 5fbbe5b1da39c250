#!/bin/bash
# Run a benchmark of tests/bench on a private PostgreSQL cluster started for
# the occasion and stopped afterwards.
# Usage: tests/bench/run_bench.sh NAME [ARGS...]   e.g. bench_import --lines 100000
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
source "$ROOT/scripts/postgresql.sh"

[ $# -ge 1 ] || { echo "usage: $0 NAME [ARGS...]" >&2; exit 2; }
name=${1%.py}
shift
[ -f "$ROOT/tests/bench/$name.py" ] || { echo "no tests/bench/$name.py" >&2; exit 2; }

# Production mode, as scripts/serve-production runs it (no asserts).
export PYTHONOPTIMIZE=1
pg_start
trap pg_stop EXIT
cd "$ROOT"
"$VENV/bin/python" "tests/bench/$name.py" --database-uri "$PG_URI" "$@"
