"""Numerical defaults, in one place (Makers and the CLI read them from here)."""

from __future__ import annotations

#: Force threshold of bulk relaxations (cell + positions), eV/Å.
BULK_FMAX_EV_PER_A = 0.01
#: Force threshold of slab relaxations, eV/Å (γ converges quadratically in the residual force).
SLAB_FMAX_EV_PER_A = 0.05
#: Maximum optimizer steps of a bulk relaxation.
BULK_MAX_STEPS = 300
#: Maximum optimizer steps of a slab relaxation.
SLAB_MAX_STEPS = 400
#: Default optimizer (ASE class name); BFGS needs ~2x fewer force calls than FIRE near a minimum.
OPTIMIZER = "BFGS"
#: Vacuum between periodic slab images, Å.
VACUUM_A = 15.0
#: Smallest vacuum accepted, Å.
MIN_VACUUM_A = 8.0
#: Atomic planes of simple-lattice slabs (fcc/bcc/hcp elements and alloys).
N_LAYERS = 6
#: Minimum thickness of slabs of complex structures (γ-brass), Å.
MIN_THICKNESS_A = 8.0
#: Fixed atomic planes (central planes for symmetric slabs).
N_FIXED_LAYERS = 2
#: Independent SQS samples per facet of a random alloy.
SQS_SAMPLES = 2
#: Atoms in a bulk SQS cell (64:36 is exact for 25, 50, 100).
SQS_N_ATOMS = 50
#: Facets computed by default (Miller indices of the conventional cell).
MILLERS = ((1, 1, 1), (1, 0, 0))
#: Materials of the paper.
PAPER_MATERIALS = ("Cu", "Cu5Zn8", "Cu0.64Zn0.36")
