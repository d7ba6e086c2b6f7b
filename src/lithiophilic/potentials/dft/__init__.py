"""DFT backends (GPAW here, VASP on HPC) and what they share: input settings, MPI launch, parsing."""

from __future__ import annotations
