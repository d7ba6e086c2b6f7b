"""Starting geometries of Li entering a skin, and the Li-X compound prototypes (issue 20)."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import fcc111
from ase.neighborlist import neighbor_list

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures import make_bulk
from lithiophilic.structures.li_compounds import (
    LI_COMPOUNDS,
    li_compounds_of,
    make_b32,
    make_li_compound,
)
from lithiophilic.structures.li_incorporation import (
    bulk_supercell,
    depth_below_outermost_plane_a,
    planes_from_top,
    substitution_starts,
    subsurface_interstitial_start,
)


def _widths(atoms):
    cell = np.asarray(atoms.cell)
    vol = abs(np.linalg.det(cell))
    return [vol / np.linalg.norm(np.cross(cell[(i + 1) % 3], cell[(i + 2) % 3])) for i in range(3)]


@pytest.mark.parametrize(("skin", "n_atoms"), [("Cu", 64), ("Zn", 64), ("Mg", 36)])
def test_bulk_supercell_is_at_least_8_a_wide_and_no_wider_than_needed(skin, n_atoms):
    bulk = make_bulk(skin)
    sup = bulk_supercell(bulk)
    assert len(sup) == n_atoms
    assert min(_widths(sup)) >= 8.0
    # one repetition fewer along any axis would be narrower than 8 A
    for i, n in enumerate(sup.info["supercell"]):
        if n > 1:
            assert _widths(bulk)[i] * (n - 1) < 8.0
    with pytest.raises(ConfigurationError, match="min_width_a"):
        bulk_supercell(bulk, min_width_a=0.0)


def test_substitution_and_interstitial_starts_on_cu111():
    slab = fcc111("Cu", (3, 3, 4), a=3.615, vacuum=6.0)
    planes = planes_from_top(slab)
    assert [len(p) for p in planes] == [9, 9, 9, 9]
    starts = substitution_starts(slab)
    assert [(s["plane"], s["element"]) for s in starts] == [(1, "Cu"), (2, "Cu")]
    for s in starts:
        assert s["atoms"].get_chemical_symbols().count("Li") == 1
        assert s["index"] in planes[s["plane"] - 1]
    atoms, info = subsurface_interstitial_start(slab)
    # the octahedral hole: laterally a_nn/sqrt(3) from every atom of planes 1 and 2
    a_nn = 3.615 / np.sqrt(2)
    assert info["lateral_clearance_a"] == pytest.approx(a_nn / np.sqrt(3), abs=0.02)
    d12 = slab.positions[planes[0], 2].mean() - slab.positions[planes[1], 2].mean()
    assert depth_below_outermost_plane_a(atoms, len(atoms) - 1) == pytest.approx(d12 / 2)
    # nearest Cu at the octahedral distance a/2, no overlap
    dists = atoms.get_distances(len(atoms) - 1, range(len(slab)), mic=True)
    assert dists.min() == pytest.approx(3.615 / 2, abs=0.02)


def test_three_planes_are_needed():
    with pytest.raises(ConfigurationError, match="slab"):
        subsurface_interstitial_start(fcc111("Cu", (2, 2, 2), vacuum=6.0))


def test_b32_has_four_like_and_four_unlike_nearest_neighbours():
    atoms = make_b32("Li", "Al", a_a=6.37)
    i, j = neighbor_list("ij", atoms, 6.37 * np.sqrt(3) / 4 + 0.05)
    symbols = atoms.get_chemical_symbols()
    for k in range(len(atoms)):
        mine = [symbols[n] for n in j[i == k]]
        assert len(mine) == 8
        assert mine.count("Li") == 4 and mine.count("Al") == 4
    with pytest.raises(ConfigurationError, match="a_a"):
        make_b32("Li", "Al", a_a=-1.0)


def test_catalogued_li_compounds():
    assert li_compounds_of(["Cu"]) == []
    assert li_compounds_of(["Cu", "Zn"]) == ["LiZn"]
    for name, spec in LI_COMPOUNDS.items():
        atoms = make_li_compound(name)
        assert sorted(set(atoms.get_chemical_symbols())) == sorted({"Li", spec.element})
        assert atoms.get_chemical_symbols().count("Li") * 2 == len(atoms)
        assert spec.reference
    assert LI_COMPOUNDS["LiMg"].approximant
    with pytest.raises(ConfigurationError, match="li_compound"):
        make_li_compound("LiCu")
