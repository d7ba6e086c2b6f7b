from __future__ import annotations

import numpy as np
import pytest
from ase.constraints import FixAtoms

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures import (
    is_symmetric_slab,
    layer_indices,
    make_bulk,
    make_gamma_brass,
    make_oriented_sqs,
    make_slab_from_oriented_bulk,
    make_slabs,
    surface_area_a2,
)

A_CU = 3.615


@pytest.fixture(scope="module")
def cu():
    return make_bulk("Cu")


@pytest.fixture(scope="module")
def gamma_brass():
    return make_gamma_brass()


def _assert_orthogonal_c(slab):
    cell = np.asarray(slab.cell)
    assert abs(cell[0] @ cell[2]) < 1e-8
    assert abs(cell[1] @ cell[2]) < 1e-8
    assert cell[2, :2] == pytest.approx([0, 0])


def _vacuum_a(slab):
    z = slab.positions[:, 2]
    return slab.cell[2, 2] - (z.max() - z.min())


@pytest.mark.parametrize(
    ("miller", "n_layers", "area_a2", "spacing_a"),
    [
        ((1, 1, 1), 4, np.sqrt(3) / 4 * A_CU**2, A_CU / np.sqrt(3)),  # (a/√2)² sin 60°
        ((1, 0, 0), 4, A_CU**2 / 2, A_CU / 2),
        ((1, 1, 0), 6, A_CU**2 / np.sqrt(2), A_CU / (2 * np.sqrt(2))),
    ],
)
def test_cu_low_index_slabs(cu, miller, n_layers, area_a2, spacing_a):
    slabs = make_slabs(cu, miller, n_layers=n_layers, vacuum_a=12.0, n_fixed_layers=2)
    assert len(slabs) == 1
    slab = slabs[0]
    assert len(slab) == n_layers
    assert slab.pbc.all()
    _assert_orthogonal_c(slab)
    assert _vacuum_a(slab) == pytest.approx(12.0, abs=1e-6)
    assert slab.info["vacuum_a"] == 12.0
    assert slab.info["slab_thickness_a"] == pytest.approx((n_layers - 1) * spacing_a)
    assert surface_area_a2(slab) == pytest.approx(area_a2)
    assert slab.info["area_a2"] == pytest.approx(area_a2)
    assert slab.info["n_layers"] == n_layers
    assert slab.info["symmetric"] is True
    assert slab.info["stoichiometric"] is True
    assert slab.info["miller"] == list(miller)
    assert slab.info["bulk_formula"] == "Cu"
    # tags: top layer = 1, sorted bottom to top
    z = slab.positions[:, 2]
    assert slab.get_tags()[np.argmax(z)] == 1
    assert slab.get_tags()[np.argmin(z)] == n_layers
    assert np.all(np.diff(z) > 0)
    # fix="center": the two central planes are fixed
    (constraint,) = slab.constraints
    assert isinstance(constraint, FixAtoms)
    fixed_tags = sorted(slab.get_tags()[constraint.index])
    centre = (n_layers - 2) // 2
    assert fixed_tags == sorted(n_layers - np.arange(centre, centre + 2))
    # the slab is centred in z
    assert z.min() == pytest.approx(6.0)


def test_fix_bottom_and_supercell(cu):
    (slab,) = make_slabs(
        cu, (1, 1, 1), n_layers=5, n_fixed_layers=3, fix="bottom", supercell=(2, 3)
    )
    assert len(slab) == 30
    (constraint,) = slab.constraints
    assert len(constraint.index) == 18
    assert set(slab.get_tags()[constraint.index]) == {3, 4, 5}
    assert np.bincount(layer_indices(slab)).tolist() == [6] * 5
    assert slab.info["supercell"] == [2, 3]
    assert slab.info["area_a2"] == pytest.approx(6 * np.sqrt(3) / 4 * A_CU**2)


def test_no_constraint_without_fixed_layers(cu):
    (slab,) = make_slabs(cu, (1, 0, 0), n_layers=3)
    assert slab.constraints == []
    assert slab.info["n_fixed_layers"] == 0


def test_miller_refers_to_conventional_cell(cu):
    (s200,) = make_slabs(cu, (2, 0, 0), n_layers=4)
    (s010,) = make_slabs(cu, (0, 1, 0), n_layers=4)
    assert s200.info["miller"] == [1, 0, 0]
    assert surface_area_a2(s200) == pytest.approx(surface_area_a2(s010))


def test_min_thickness(cu):
    (slab,) = make_slabs(cu, (1, 1, 1), min_thickness_a=8.0)
    assert slab.info["slab_thickness_a"] >= 8.0
    assert slab.info["slab_thickness_a"] - A_CU / np.sqrt(3) < 8.0


def test_gamma_brass_100_terminations(gamma_brass):
    slabs = make_slabs(gamma_brass, (1, 0, 0), min_thickness_a=8.0)
    assert len(slabs) > 1
    assert [s.info["termination"] for s in slabs] == list(range(len(slabs)))
    assert len({s.info["shift"] for s in slabs}) == len(slabs)
    for slab in slabs:
        assert isinstance(slab.info["symmetric"], bool)
        assert isinstance(slab.info["stoichiometric"], bool)
        assert slab.info["symmetric"] == is_symmetric_slab(slab)
        counts = slab.info["element_counts"]
        assert slab.info["stoichiometric"] == (counts["Cu"] * 8 == counts["Zn"] * 5)
        assert slab.info["slab_thickness_a"] >= 8.0
        assert _vacuum_a(slab) == pytest.approx(10.0, abs=1e-6)
        _assert_orthogonal_c(slab)
    assert any(s.info["symmetric"] and s.info["stoichiometric"] for s in slabs)


def test_gamma_brass_stoichiometric_mode(gamma_brass):
    slabs = make_slabs(gamma_brass, (1, 1, 0), min_thickness_a=8.0, symmetric=False)
    assert len(slabs) > 1
    for slab in slabs:
        assert slab.info["stoichiometric"]
        assert len(slab) % 26 == 0


def test_gamma_brass_111_is_polar(gamma_brass):
    # [111] is a polar axis of I-43m: no slab has equivalent faces
    slabs = make_slabs(gamma_brass, (1, 1, 1), min_thickness_a=8.0)
    assert len(slabs) >= 2
    assert not any(s.info["symmetric"] for s in slabs)
    assert all(s.info["stoichiometric"] for s in slabs)


def test_max_terminations(gamma_brass):
    slabs = make_slabs(gamma_brass, (1, 0, 0), min_thickness_a=8.0, max_terminations=2)
    assert len(slabs) == 2


def test_slab_from_oriented_sqs_keeps_atoms():
    bulk = make_oriented_sqs({"Cu": 0.64, "Zn": 0.36}, (1, 1, 1), a_a=3.69, n_layers=3, n_steps=500)
    slab = make_slab_from_oriented_bulk(bulk, vacuum_a=15.0, n_fixed_layers=1)
    assert len(slab) == len(bulk) == 75
    assert sorted(slab.get_chemical_symbols()) == sorted(bulk.get_chemical_symbols())
    assert slab.info["stoichiometric"] is True
    assert isinstance(slab.info["symmetric"], bool)
    assert slab.info["n_layers"] == 3
    assert slab.info["miller"] == [1, 1, 1]
    assert slab.info["sqs"]["seed"] == 0
    assert _vacuum_a(slab) == pytest.approx(15.0, abs=1e-6)
    assert surface_area_a2(slab) == pytest.approx(surface_area_a2(bulk))
    _assert_orthogonal_c(slab)
    assert sorted(set(slab.get_tags())) == [1, 2, 3]
    assert len(slab.constraints[0].index) == 25
    assert "oriented_bulk" in bulk.info  # input not mutated
    assert slab.info["slab_thickness_a"] == pytest.approx(2 * 3.69 / np.sqrt(3))


def test_slab_errors(cu):
    with pytest.raises(ConfigurationError, match=r"miller must not be \(0, 0, 0\)"):
        make_slabs(cu, (0, 0, 0), n_layers=4)
    with pytest.raises(ConfigurationError, match="miller must be three integers"):
        make_slabs(cu, (1, 1), n_layers=4)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="miller must be three integers"):
        make_slabs(cu, (1.0, 1, 1), n_layers=4)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"vacuum_a=7.5 .* at least 8"):
        make_slabs(cu, (1, 1, 1), n_layers=4, vacuum_a=7.5)
    with pytest.raises(ConfigurationError, match=r"n_fixed_layers=4 .* allowed 0..3"):
        make_slabs(cu, (1, 1, 1), n_layers=4, n_fixed_layers=4, fix="bottom")
    with pytest.raises(ConfigurationError, match=r"n_fixed_layers=3 .* allowed 0..2 \(each face"):
        make_slabs(cu, (1, 1, 1), n_layers=4, n_fixed_layers=3, fix="center")
    with pytest.raises(ConfigurationError, match="either n_layers or min_thickness_a"):
        make_slabs(cu, (1, 1, 1), n_layers=4, min_thickness_a=5.0)
    with pytest.raises(ConfigurationError, match="fix='top'"):
        make_slabs(cu, (1, 1, 1), n_layers=4, fix="top")  # type: ignore[arg-type]


def test_oriented_bulk_errors(cu):
    from ase.build import bulk

    with pytest.raises(ConfigurationError, match="bulk_cell: c is not perpendicular"):
        make_slab_from_oriented_bulk(bulk("Cu", "fcc", a=A_CU))
    cubic = bulk("Cu", "fcc", a=A_CU, cubic=True)
    with pytest.raises(ConfigurationError, match="vacuum_a=5"):
        make_slab_from_oriented_bulk(cubic, vacuum_a=5)
    with pytest.raises(ConfigurationError, match="n_fixed_layers=2"):
        make_slab_from_oriented_bulk(cubic, n_fixed_layers=2)


def test_hcp_basal_slab_and_info_is_json(cu):
    import json

    zn = make_bulk("Zn")
    info_before = json.dumps(zn.info, sort_keys=True)
    (slab,) = make_slabs(zn, (0, 0, 1), n_layers=5)
    assert len(slab) == 5
    assert slab.info["symmetric"] is True
    assert slab.info["slab_thickness_a"] == pytest.approx(2 * 2.665 * 1.856)
    json.dumps(slab.info)
    assert json.dumps(zn.info, sort_keys=True) == info_before  # input not mutated
    assert zn.constraints == []


def test_default_thickness_is_10_angstrom(cu):
    (slab,) = make_slabs(cu, (1, 0, 0))
    assert slab.info["slab_thickness_a"] >= 10.0
    assert slab.info["n_layers"] == 7  # 6 spacings of a/2 = 10.845 Å
