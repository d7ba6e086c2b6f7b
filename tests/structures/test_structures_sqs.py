from __future__ import annotations

import json

import numpy as np
import pytest

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures import (
    default_cutoffs_a,
    make_oriented_sqs,
    make_sqs,
    sqs_correlation_report,
)

BRASS = {"Cu": 0.64, "Zn": 0.36}
A_BRASS = 3.69
FAST = 3000  # Monte Carlo steps: enough for the assertions, keeps the tests fast


@pytest.fixture(scope="module")
def sqs50():
    return make_sqs(BRASS, a_a=A_BRASS, n_atoms=50, seed=0, n_steps=FAST)


def test_sqs_has_exact_composition(sqs50):
    symbols = sqs50.get_chemical_symbols()
    assert len(sqs50) == 50
    assert symbols.count("Cu") == 32
    assert symbols.count("Zn") == 18
    assert sqs50.get_volume() == pytest.approx(50 * A_BRASS**3 / 4)


def test_sqs_cell_is_compact(sqs50):
    # shortest periodic image distance of the most compact 50-atom fcc supercell
    assert sqs50.info["sqs"]["shortest_image_distance_a"] > 8.5
    lengths = sqs50.cell.cellpar()[:3]
    assert lengths.max() / lengths.min() < 1.3


def test_sqs_seed_reproducible(sqs50):
    again = make_sqs(BRASS, a_a=A_BRASS, n_atoms=50, seed=0, n_steps=FAST)
    other = make_sqs(BRASS, a_a=A_BRASS, n_atoms=50, seed=1, n_steps=FAST)
    assert again.get_chemical_symbols() == sqs50.get_chemical_symbols()
    np.testing.assert_allclose(again.positions, sqs50.positions)
    assert other.get_chemical_symbols() != sqs50.get_chemical_symbols()
    assert other.info["sqs"]["seed"] == 1


def test_sqs_correlation_report(sqs50):
    report = sqs50.info["sqs"]
    json.dumps(sqs50.info)  # plain Python types only
    assert report["seed"] == 0
    pairs = [o for o in report["orbits"] if o["order"] == 2]
    assert len(pairs) == 4  # 1st-4th neighbour shells
    assert pairs[0]["distance_a"] == pytest.approx(A_BRASS / np.sqrt(2))
    # random-alloy pair target is (x_Zn - x_Cu)^2 = 0.0784
    assert all(o["target"] == pytest.approx(0.0784) for o in pairs)
    for orbit in report["orbits"]:
        assert orbit["delta"] == pytest.approx(orbit["sqs"] - orbit["target"])
    # 50 atoms resolve a pair correlation only in steps of ~0.013; observed ≈ 0.01-0.02
    assert report["max_abs_delta_pair"] < 0.05
    recomputed = sqs_correlation_report(sqs50, composition=BRASS, lattice="fcc", a_a=A_BRASS)
    assert recomputed["max_abs_delta_pair"] == pytest.approx(report["max_abs_delta_pair"])


def test_report_matches_icet_random_target(sqs50):
    from icet import ClusterSpace
    from icet.tools.structure_generation import _get_sqs_cluster_vector

    from lithiophilic.structures.sqs import primitive_lattice

    cs = ClusterSpace(
        primitive_lattice("fcc", a_a=A_BRASS), default_cutoffs_a("fcc", a_a=A_BRASS), ["Cu", "Zn"]
    )
    target = _get_sqs_cluster_vector(cs, {"A": BRASS})
    ours = [o["target"] for o in sqs50.info["sqs"]["orbits"]]
    np.testing.assert_allclose(ours, target[1:])


def test_report_of_strained_sqs_uses_supercell_matrix(sqs50):
    strained = sqs50.copy()
    strained.info = dict(sqs50.info)
    strained.set_cell(sqs50.cell * 1.02, scale_atoms=True)
    strained.rattle(0.05, seed=1)
    report = sqs_correlation_report(strained, lattice="fcc", a_a=A_BRASS)
    assert report["max_abs_delta_pair"] == pytest.approx(sqs50.info["sqs"]["max_abs_delta_pair"])


def test_default_cutoffs_cover_four_pair_shells():
    pair, triplet = default_cutoffs_a("fcc", a_a=3.6)
    assert 3.6 * np.sqrt(2) < pair < 3.6 * np.sqrt(2.5)
    assert 3.6 / np.sqrt(2) < triplet < 3.6


def test_oriented_sqs_111():
    atoms = make_oriented_sqs(BRASS, (1, 1, 1), a_a=A_BRASS, n_layers=6, seed=2, n_steps=FAST)
    assert len(atoms) == 150  # 5x5 surface cells x 6 planes: 0.36 * 150 = 54 Zn exactly
    assert atoms.get_chemical_symbols().count("Zn") == 54
    assert atoms.info["lateral_size"] == [5, 5]
    assert atoms.info["n_layers"] == 6
    assert atoms.info["miller"] == [1, 1, 1]
    cell = np.asarray(atoms.cell)
    assert abs(cell[0] @ cell[2]) < 1e-8
    assert abs(cell[1] @ cell[2]) < 1e-8
    assert cell[2] == pytest.approx([0, 0, 6 * A_BRASS / np.sqrt(3)])
    heights = np.unique(np.round(atoms.positions[:, 2], 4))
    assert len(heights) == 6
    # fully periodic fcc: every atom keeps 12 nearest neighbours at a/sqrt(2)
    from ase.neighborlist import neighbor_list

    i = neighbor_list("i", atoms, A_BRASS / np.sqrt(2) + 0.1)
    assert np.all(np.bincount(i) == 12)
    assert atoms.get_volume() == pytest.approx(150 * A_BRASS**3 / 4)
    report = sqs_correlation_report(atoms, lattice="fcc", a_a=A_BRASS)
    assert report["max_abs_delta_pair"] == pytest.approx(atoms.info["sqs"]["max_abs_delta_pair"])


@pytest.mark.parametrize(("miller", "n_layers"), [((1, 0, 0), 4), ((1, 1, 0), 2)])
def test_oriented_sqs_100_110(miller, n_layers):
    atoms = make_oriented_sqs(BRASS, miller, a_a=A_BRASS, n_layers=n_layers, n_steps=500)
    assert len(np.unique(np.round(atoms.positions[:, 2], 4))) == n_layers
    assert atoms.get_chemical_symbols().count("Cu") == round(0.64 * len(atoms))


def test_sqs_errors():
    with pytest.raises(ConfigurationError, match=r"n_atoms=30 .* nearest exact sizes: 25, 50"):
        make_sqs(BRASS, a_a=A_BRASS, n_atoms=30)
    with pytest.raises(ConfigurationError, match=r"sums to 0\.9"):
        make_sqs({"Cu": 0.6, "Zn": 0.3}, a_a=A_BRASS)
    with pytest.raises(ConfigurationError, match="'Qq' is not a chemical element"):
        make_sqs({"Cu": 0.5, "Qq": 0.5}, a_a=A_BRASS)
    with pytest.raises(ConfigurationError, match="at least 2"):
        make_sqs({"Cu": 1.0}, a_a=A_BRASS)
    with pytest.raises(ConfigurationError, match="lattice='diamond'"):
        make_sqs(BRASS, lattice="diamond", a_a=A_BRASS)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="n_atoms=50 disagrees with supercell"):
        make_sqs(BRASS, a_a=A_BRASS, n_atoms=50, supercell=np.eye(3, dtype=int) * 2)


def test_oriented_sqs_errors():
    with pytest.raises(ConfigurationError, match=r"n_layers=4 must be a positive multiple of 3"):
        make_oriented_sqs(BRASS, (1, 1, 1), a_a=A_BRASS, n_layers=4)
    with pytest.raises(ConfigurationError, match=r"n_layers=3 must be a positive multiple of 2"):
        make_oriented_sqs(BRASS, (1, 0, 0), a_a=A_BRASS, n_layers=3)
    with pytest.raises(ConfigurationError, match="cannot hold the composition"):
        make_oriented_sqs(BRASS, (1, 1, 1), a_a=A_BRASS, n_layers=3, lateral_size=(2, 2))
    with pytest.raises(ConfigurationError, match=r"miller must not be \(0, 0, 0\)"):
        make_oriented_sqs(BRASS, (0, 0, 0), a_a=A_BRASS, n_layers=3)
