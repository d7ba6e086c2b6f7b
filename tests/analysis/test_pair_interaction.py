"""E_int(ij) = E(ij) − E(i) − E(j) + E(0): a hand-made energy table and a real Li pair on Cu(111)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lithiophilic.analysis.pair_interaction import (
    PAIR_INTERACTION_DEFINITION,
    cluster_interaction_energy_ev,
    energy_table,
    many_body_term_ev,
    pair_interaction_energy_ev,
)
from lithiophilic.errors import ConfigurationError

#: A hand-made table on an "alloy": the two sites differ by 0.3 eV, the pair interacts by +0.05,
#: the trimer has a three-body term of -0.02 eV and pair terms 0.05 / 0.01 / -0.04.
E0 = -100.0
SITE = {"a": -2.0, "b": -1.7, "c": -1.9}
PAIR = {("a", "b"): 0.05, ("a", "c"): 0.01, ("b", "c"): -0.04}
THREE = -0.02


def _table():
    rows = [((), E0)] + [((s,), E0 + e) for s, e in SITE.items()]
    rows += [(p, E0 + SITE[p[0]] + SITE[p[1]] + v) for p, v in PAIR.items()]
    rows.append((("a", "b", "c"), E0 + sum(SITE.values()) + sum(PAIR.values()) + THREE))
    return energy_table(rows)


def test_pair_interaction_on_a_hand_made_table_removes_the_site_energies():
    t = _table()
    e_ab = pair_interaction_energy_ev(
        t[frozenset("ab")], t[frozenset("a")], t[frozenset("b")], t[frozenset()]
    )
    assert math.isclose(e_ab, 0.05, abs_tol=1e-12)
    # the naive "pair - 2 x one Li" mixes in the 0.3 eV site difference
    naive = t[frozenset("ab")] - 2 * t[frozenset("a")] + t[frozenset()]
    assert not math.isclose(naive, 0.05, abs_tol=0.1)
    assert math.isclose(cluster_interaction_energy_ev(t, "ab"), 0.05, abs_tol=1e-12)
    assert math.isclose(many_body_term_ev(t, "ab"), 0.05, abs_tol=1e-12)


def test_trimer_total_and_three_body_terms():
    t = _table()
    assert math.isclose(
        cluster_interaction_energy_ev(t, "abc"), sum(PAIR.values()) + THREE, abs_tol=1e-12
    )
    assert math.isclose(many_body_term_ev(t, "abc"), THREE, abs_tol=1e-12)


def test_bad_tables_name_what_is_missing():
    t = dict(_table())
    del t[frozenset("b")]
    with pytest.raises(ConfigurationError, match=r"\['b'\]"):
        cluster_interaction_energy_ev(t, "ab")
    with pytest.raises(ConfigurationError, match="at least two"):
        many_body_term_ev(t, "a")
    with pytest.raises(ConfigurationError, match="twice"):
        energy_table([(("a",), 1.0), (("a",), 2.0)])
    with pytest.raises(ConfigurationError, match="site_j_energy_ev"):
        pair_interaction_energy_ev(1.0, 1.0, float("nan"), 1.0)
    assert "E(ij) - E(i) - E(j) + E(0)" in PAIR_INTERACTION_DEFINITION


@pytest.mark.slow
@pytest.mark.mlip
def test_real_li_pair_on_cu111_sevenn():
    """SevenNet-0 on Cu(111) 4x4x3 (substrate fixed): site-resolved pair energies, Li relaxed.

    Li on two neighbouring fcc hollows (2.57 Å apart, bcc Li 3.0 Å) and on hollows 5.1 Å
    apart (2√3 Cu–Cu distances in the cell, but 2 via the nearest periodic image); and, unrelaxed, Li on an fcc and the adjacent hcp hollow (1.48 Å): the overlap
    must cost far more than either relaxed pair interaction.
    """
    from ase.build import add_adsorbate, fcc111
    from ase.constraints import FixAtoms
    from ase.geometry import find_mic
    from ase.optimize import BFGS

    from lithiophilic.potentials import get_calculator

    calc = get_calculator("sevenn")
    slab = fcc111("Cu", size=(4, 4, 3), a=3.63, vacuum=7.0)
    slab.set_constraint(FixAtoms(indices=range(len(slab))))
    a1, a2 = np.array(slab.cell[0]) / 4.0, np.array(slab.cell[1]) / 4.0
    # the hollows of the top plane (ASE's adsorbate sites, in units of the primitive cell): Li
    # starts in them, so each relaxation takes a few steps (fcc0 was 0.74 Å off a hollow before)
    hollow = slab.info["adsorbate_info"]["sites"]
    fcc0 = hollow["fcc"][0] * a1 + hollow["fcc"][1] * a2 + a1 + a2
    sites = {
        "i": fcc0,
        "near": fcc0 + a1,  # the next fcc hollow, one Cu-Cu distance away
        "far": fcc0 + 2 * a1 + 2 * a2,  # nearest periodic image: 2 Cu-Cu distances (5.1 Å)
        "hcp": hollow["hcp"][0] * a1 + hollow["hcp"][1] * a2 + a1 + a2,  # adjacent hcp hollow
    }
    lateral = find_mic(slab.positions[slab.get_tags() == 3] - fcc0, slab.cell, [1, 1, 0])[0]
    assert np.linalg.norm(lateral[:, :2], axis=1).min() < 1e-6  # fcc: above a 3rd-plane Cu
    assert np.linalg.norm(sites["hcp"] - fcc0) == pytest.approx(3.63 / np.sqrt(6), abs=1e-6)

    def energy(occupied, relax=True):
        atoms = slab.copy()
        for s in occupied:
            add_adsorbate(atoms, "Li", 2.0, position=tuple(sites[s][:2]))
        atoms.calc = calc
        if occupied and relax:
            BFGS(atoms, logfile=None).run(fmax=0.05, steps=150)
        return atoms.get_potential_energy()

    occupations = [(), ("i",), ("near",), ("far",), ("i", "near"), ("i", "far")]
    t = energy_table([(occ, energy(occ)) for occ in occupations])
    e_near = cluster_interaction_energy_ev(t, ["i", "near"])
    e_far = cluster_interaction_energy_ev(t, ["i", "far"])
    assert math.isclose(
        e_near,
        pair_interaction_energy_ev(
            t[frozenset({"i", "near"})], t[frozenset({"i"})], t[frozenset({"near"})], t[frozenset()]
        ),
    )
    ideal = energy_table(
        [(occ, energy(occ, relax=False)) for occ in [(), ("i",), ("hcp",), ("i", "hcp")]]
    )
    e_overlap = cluster_interaction_energy_ev(ideal, ["i", "hcp"])
    print(f"E_int near {e_near:+.4f}, far {e_far:+.4f}, overlap (unrelaxed) {e_overlap:+.3f} eV")
    # same-kind sites on a clean fcc(111): the site energies agree
    assert abs(t[frozenset({"i"})] - t[frozenset({"near"})]) < 0.02
    # two Li 1.48 Å apart overlap: strongly repulsive, an order beyond the relaxed pairs
    assert e_overlap > 1.0
    assert e_overlap > 10 * max(abs(e_near), abs(e_far))
    # pairs 5.1 Å apart barely interact
    assert abs(e_far) < 0.05
