"""Unit conversion constants, all derived from :mod:`ase.units` (CODATA 2014).

Internal units are ASE's: energies in eV, lengths in Å.
"""

from __future__ import annotations

from ase import units as _u

__all__ = ["EV_PER_A2_TO_J_PER_M2", "J_PER_M2_TO_EV_PER_A2", "KBAR_TO_EV_PER_A3"]

#: 1 eV/Å² in J/m² (≈ 16.0218).
EV_PER_A2_TO_J_PER_M2: float = _u._e / 1e-20
#: 1 J/m² in eV/Å² (≈ 0.0624151).
J_PER_M2_TO_EV_PER_A2: float = 1.0 / EV_PER_A2_TO_J_PER_M2
#: 1 kbar in eV/Å³ (≈ 6.2415e-4; VASP and atomate2 report stress in kbar).
KBAR_TO_EV_PER_A3: float = _u.GPa / 10.0
