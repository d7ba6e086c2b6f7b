#!/usr/bin/env bash
# Install (idempotent) and run the whole test suite, slow/marked tests included.
#   bash scripts/test.sh [pytest args...]
# Two pytest-xdist workers, one thread each (the Slurm tests wait while the other worker
# computes; tests/conftest.py keeps each file, and all of tests/hpc, on one worker).
# A crashed worker ends the run (--max-worker-restart 0): with file units, pytest-xdist 3.8 can
# wait forever for a replaced worker's tests, and CI would only stop at its time limit.
#   LITHIOPHILIC_TEST_WORKERS=0 bash scripts/test.sh   # one process, OMP_NUM_THREADS=2
# (also without pytest-xdist, i.e. without the dev extra)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install.sh  # all extras (mlip, dft, md, hpc, dev) unless LITHIOPHILIC_EXTRAS says otherwise
WORKERS="${LITHIOPHILIC_TEST_WORKERS:-2}"
if [[ "$WORKERS" != 0 ]] && .venv/bin/python -c "import xdist" 2>/dev/null; then
    export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
    exec .venv/bin/python -m pytest -n "$WORKERS" --dist loadfile --no-loadscope-reorder --max-worker-restart 0 \
        --durations=25 "$@"
fi
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
exec .venv/bin/python -m pytest --durations=25 "$@"
