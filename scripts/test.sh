#!/usr/bin/env bash
# Install (idempotent) and run the whole test suite, slow/marked tests included.
#   bash scripts/test.sh [pytest args...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install.sh  # all extras (mlip, dft, md, hpc, dev) unless LITHIOPHILIC_EXTRAS says otherwise
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
exec .venv/bin/python -m pytest "$@"
