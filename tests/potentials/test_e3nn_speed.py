"""The fused weight slices of SevenNet-0's tensor products change no bit of energy or force."""

from __future__ import annotations

import numpy as np
from ase.build import add_adsorbate, fcc111
from sevenn.calculator import SevenNetCalculator

from lithiophilic.potentials.e3nn_speed import fuse_weight_slices
from lithiophilic.potentials.mlip import make_sevennet


def _slab():
    slab = fcc111("Cu", size=(3, 3, 3), vacuum=8.0)
    add_adsorbate(slab, "Li", 1.9, "fcc")
    add_adsorbate(slab, "Li", 1.9, "hcp")
    slab.rattle(0.05, seed=3)
    return slab


def test_fused_model_gives_bit_identical_energy_forces_and_stress():
    atoms = _slab()
    plain = SevenNetCalculator("7net-0", device="cpu")
    fused = make_sevennet()
    # every tensor product of the 5 interaction blocks is rewritten
    assert fuse_weight_slices(fused.model) == 0  # already fused by make_sevennet: nothing left
    assert fuse_weight_slices(SevenNetCalculator("7net-0", device="cpu").model) >= 5
    for calc in (plain, fused):
        calc.calculate(atoms.copy(), ["energy", "forces", "stress"])
    assert fused.results["energy"] == plain.results["energy"]
    np.testing.assert_array_equal(fused.results["forces"], plain.results["forces"])
    np.testing.assert_array_equal(fused.results["stress"], plain.results["stress"])
    assert np.abs(plain.results["forces"]).max() > 0.05  # a real, non-trivial force field
