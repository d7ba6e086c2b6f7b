from __future__ import annotations

import numpy as np
import pytest

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures import (
    MATERIALS,
    get_primitive,
    make_bulk,
    make_fcc,
    make_gamma_brass,
    parse_composition,
    primitive_gamma_brass,
    symmetry_report,
    validate_gamma_brass,
)


@pytest.fixture(scope="module")
def gamma_brass():
    return make_gamma_brass()


def test_gamma_brass_is_i43m_cu20zn32(gamma_brass):
    report = validate_gamma_brass(gamma_brass)
    assert report["valid"], report["problems"]
    assert report["spacegroup_number"] == 217
    assert report["spacegroup_symbol"] == "I-43m"
    assert len(gamma_brass) == 52
    assert report["element_counts"] == {"Cu": 20, "Zn": 32}
    assert report["min_distance_a"] > 2.3
    assert gamma_brass.cell.cellpar()[:3] == pytest.approx([8.866] * 3)


def test_gamma_brass_neighbour_distances_are_metallic(gamma_brass):
    from ase.neighborlist import neighbor_list

    i, d = neighbor_list("id", gamma_brass, 2.9)
    # every atom has 11-13 neighbours between 2.5 and 2.9 Å (26-atom cluster packing)
    counts = np.bincount(i, minlength=len(gamma_brass))
    assert d.min() > 2.5
    assert counts.min() >= 11
    assert counts.max() <= 13


def test_primitive_gamma_brass_has_26_atoms(gamma_brass):
    prim = primitive_gamma_brass()
    assert len(prim) == 26
    report = validate_gamma_brass(prim)
    assert report["valid"], report["problems"]
    assert report["element_counts"] == {"Cu": 8 + 2, "Zn": 16}
    assert prim.get_volume() == pytest.approx(gamma_brass.get_volume() / 2)
    assert prim.info["primitive"] is True
    assert "primitive" not in gamma_brass.info  # input not mutated


def test_validate_gamma_brass_flags_wrong_structure():
    report = validate_gamma_brass(make_fcc("Cu"))
    assert not report["valid"]
    assert any("217" in p for p in report["problems"])


def test_make_fcc_primitive_and_cubic():
    prim = make_fcc("Cu")
    cubic = make_fcc("Cu", a_a=3.6, cubic=True)
    assert len(prim) == 1
    assert len(cubic) == 4
    assert cubic.get_volume() == pytest.approx(3.6**3)
    assert symmetry_report(prim)["spacegroup_number"] == 225
    assert prim.info["lattice"] == "fcc"


def test_make_fcc_rejects_bad_input():
    with pytest.raises(ConfigurationError, match="element='Qq'"):
        make_fcc("Qq")
    with pytest.raises(ConfigurationError, match="a_a=-1"):
        make_fcc("Cu", a_a=-1)


def test_get_primitive_of_cubic_fcc():
    prim = get_primitive(make_fcc("Cu", cubic=True))
    assert len(prim) == 1


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("Cu0.64Zn0.36", {"Cu": 0.64, "Zn": 0.36}),
        ("Cu", {"Cu": 1.0}),
        ("Cu5Zn8", {"Cu": 5 / 13, "Zn": 8 / 13}),
        ("Cu3Al", {"Cu": 0.75, "Al": 0.25}),
    ],
)
def test_parse_composition(formula, expected):
    result = parse_composition(formula)
    assert result.keys() == expected.keys()
    for key, value in expected.items():
        assert result[key] == pytest.approx(value)


def test_parse_composition_errors():
    with pytest.raises(ConfigurationError, match=r"material 'Cu0.5Qq0.5'.*'Qq' is not a chemical"):
        parse_composition("Cu0.5Qq0.5")
    with pytest.raises(ConfigurationError, match=r"fractions sum to 0\.9"):
        parse_composition("Cu0.5Zn0.4")
    with pytest.raises(ConfigurationError, match="not a chemical formula"):
        parse_composition("brass")
    with pytest.raises(ConfigurationError, match="more than once"):
        parse_composition("CuZnCu")


def test_make_bulk_named_materials():
    cu = make_bulk("Cu")
    assert len(cu) == 1
    assert cu.cell.cellpar()[0] == pytest.approx(3.615 / np.sqrt(2))
    li = make_bulk("Li")
    assert li.info["lattice"] == "bcc"
    assert li.get_volume() == pytest.approx(3.51**3 / 2)
    zn = make_bulk("Zn")
    assert len(zn) == 2
    assert zn.cell.cellpar()[2] / zn.cell.cellpar()[0] == pytest.approx(1.856)
    gb = make_bulk("Zn8Cu5")  # same composition as the named gamma-brass
    assert gb.info["material"] == "Cu5Zn8"
    assert len(gb) == 52
    for atoms in (cu, li, zn, gb):
        assert {"material", "lattice", "composition", "description"} <= set(atoms.info)
    assert set(MATERIALS) == {"Cu", "Cu5Zn8", "Cu0.64Zn0.36", "Li", "Zn", "CuZn", "CuZn4"}


def test_make_bulk_alpha_brass_is_sqs():
    atoms = make_bulk("Cu0.64Zn0.36", n_atoms=25)
    assert atoms.get_chemical_symbols().count("Cu") == 16
    assert atoms.info["material"] == "Cu0.64Zn0.36"
    assert atoms.info["sqs"]["seed"] == 0
    assert "max_abs_delta_pair" in atoms.info["sqs"]
    assert atoms.info["a_a"] == pytest.approx(3.69)


def test_make_bulk_any_solid_solution_uses_vegard():
    atoms = make_bulk("Cu0.7Al0.3", n_atoms=10)
    # Vegard on ASE reference volumes: 0.7·3.61³/4 + 0.3·4.05³/4
    volume = 0.7 * 3.61**3 / 4 + 0.3 * 4.05**3 / 4
    assert atoms.info["a_a"] == pytest.approx((4 * volume) ** (1 / 3))
    assert atoms.get_chemical_symbols().count("Al") == 3
    assert atoms.info["lattice"] == "fcc"


def test_make_bulk_element_in_other_lattice_keeps_volume():
    li_fcc = make_bulk("Li", lattice="fcc")
    assert li_fcc.info["lattice"] == "fcc"
    assert li_fcc.get_volume() == pytest.approx(3.51**3 / 2)


def test_make_bulk_errors():
    with pytest.raises(ConfigurationError, match=r"Named materials: Cu, Cu5Zn8"):
        make_bulk("brass")
    with pytest.raises(ConfigurationError, match="'Qq' is not a chemical element"):
        make_bulk("Qq2Cu")
    with pytest.raises(ConfigurationError, match=r"fractions sum to 1\.1"):
        make_bulk("Cu0.7Zn0.4")
    with pytest.raises(ConfigurationError, match="n_atoms=7 applies only to solid solutions"):
        make_bulk("Cu5Zn8", n_atoms=7)
    with pytest.raises(ConfigurationError, match="lattice='bcc' conflicts with material Cu5Zn8"):
        make_bulk("Cu5Zn8", lattice="bcc")


# ------------------------------------------- competing phases of γ-brass (issue 18, item 4)
def test_competing_phases_of_cu_zn_and_their_cells():
    from lithiophilic.structures.materials import MATERIALS, competing_phases

    assert set(competing_phases({"Cu", "Zn"})) == {"Cu5Zn8", "CuZn", "CuZn4"}
    assert competing_phases({"Cu", "Au"}) == []
    beta = make_bulk("CuZn")
    assert beta.info["lattice"] == "B2" and len(beta) == 2
    assert np.allclose(beta.get_scaled_positions(), [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert beta.get_distance(0, 1) == pytest.approx(MATERIALS["CuZn"].a_a * np.sqrt(3) / 2)
    eps = make_bulk("CuZn4")
    assert eps.info["lattice"] == "hcp" and len(eps) == 50
    assert eps.get_chemical_symbols().count("Cu") == 10
    assert eps.get_volume() / len(eps) == pytest.approx(
        np.sqrt(3) / 4 * 2.742**2 * 2.742 * 1.566, rel=1e-6
    )
    # the new phases are found by name only: other formulas of their compositions stay SQS
    assert make_bulk("Cu0.5Zn0.5").info["lattice"] == "fcc"
    assert make_bulk("Cu0.2Zn0.8").info["lattice"] == "fcc"


@pytest.mark.mlip
@pytest.mark.slow
def test_beta_cuzn_b2_is_stable_against_fcc_cu_and_hcp_zn_with_sevenn(sevenn_spec, in_tmp):
    from pymatgen.io.ase import AseAtomsAdaptor

    from lithiophilic.analysis.surface import formation_energy_per_atom_ev
    from lithiophilic.workflows.base import run_ase_calc

    def relax(name):
        struct = AseAtomsAdaptor.get_structure(make_bulk(name))
        struct.properties = {}
        return run_ase_calc(
            struct,
            calculator=sevenn_spec,
            task="relax",
            relax_cell=True,
            fmax_ev_per_a=0.01,
            max_steps=300,
            reuse=False,
        )

    cu, zn, beta = relax("Cu"), relax("Zn"), relax("CuZn")
    refs = {"Cu": cu.energy_per_atom_ev, "Zn": zn.energy_per_atom_ev}
    dh = formation_energy_per_atom_ev(beta.energy_per_atom_ev, {"Cu": 0.5, "Zn": 0.5}, refs)
    assert -0.2 < dh < -0.03  # eV/atom; SevenNet-0 gives -0.084
    lat = beta.structure.lattice
    assert lat.a == pytest.approx(lat.c, rel=1e-3)  # stays cubic (B2)
    assert lat.a == pytest.approx(2.945, rel=0.03)  # experiment 2.945 Å
