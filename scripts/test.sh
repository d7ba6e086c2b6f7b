#!/usr/bin/env bash
# Install (idempotent) and run the whole test suite, slow/marked tests included.
#   bash scripts/test.sh [pytest args...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LITHIOPHILIC_EXTRAS="${LITHIOPHILIC_EXTRAS:-mlip,hpc,dev}" bash scripts/install.sh
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
exec .venv/bin/python -m pytest "$@"
