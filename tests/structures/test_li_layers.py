from __future__ import annotations

import numpy as np
import pytest
from ase.geometry import get_distances

from lithiophilic.errors import AnalysisError, ConfigurationError
from lithiophilic.structures import make_bulk, make_slabs
from lithiophilic.structures.li_layers import (
    add_li_layers,
    bcc_li_nn_distance_a,
    lattice_mismatch,
    li_layer_distortion,
)
from lithiophilic.structures.sites import inplane_mic

A_LI = 3.44


@pytest.fixture(scope="module")
def cu():
    return make_bulk("Cu")


@pytest.fixture(scope="module")
def cu111(cu):
    return make_slabs(cu, (1, 1, 1), n_layers=4, n_fixed_layers=2, fix="bottom")[0]


@pytest.fixture(scope="module")
def cu111_3x3(cu):
    return make_slabs(cu, (1, 1, 1), n_layers=4, supercell=(3, 3))[0]


def _gap(atoms):
    return atoms.cell[2, 2] - np.ptp(atoms.positions[:, 2])


def _d_nn(slab):
    return np.linalg.norm(slab.cell[0]) / slab.info["supercell"][0]


def test_pseudomorphic_counts_tags_info(cu111):
    n_sub = len(cu111)
    out = add_li_layers(cu111, 5)
    li = out.info["li_layers"]
    assert out.get_chemical_symbols().count("Li") == 5
    assert len(out) == n_sub + 5
    assert len(cu111) == n_sub and "li_layers" not in cu111.info  # input untouched
    assert li["n_layers_li"] == 5
    assert li["li_per_layer"] == 1
    assert li["construction"] == "pseudomorphic"
    assert li["layer_index"] == [1, 2, 3, 4, 5]
    assert li["indices"] == list(range(n_sub, n_sub + 5))
    assert np.allclose(li["ideal_positions"], out.positions[n_sub:])
    assert out.get_tags()[n_sub:].tolist() == [-1, -2, -3, -4, -5]
    assert out.get_tags()[:n_sub].tolist() == cu111.get_tags().tolist()
    assert out.constraints[0].get_indices().tolist() == [0, 1]
    assert out.info["element_counts"] == {"Cu": 4, "Li": 5}
    assert li["lattice_mismatch"] == pytest.approx(_d_nn(cu111) / bcc_li_nn_distance_a(A_LI) - 1)
    assert li["lattice_mismatch"] == pytest.approx(-0.142, abs=1e-3)


def test_pseudomorphic_supercell_counts(cu111_3x3):
    out = add_li_layers(cu111_3x3, 2)
    assert out.get_chemical_symbols().count("Li") == 18
    assert out.info["li_layers"]["li_per_layer"] == 9


def test_vacuum_kept_and_c_grows(cu111):
    out = add_li_layers(cu111, 5)
    assert _gap(out) == pytest.approx(_gap(cu111))
    assert _gap(out) == pytest.approx(cu111.info["vacuum_a"])
    assert out.cell[2, 2] > cu111.cell[2, 2]
    frac = out.get_scaled_positions(wrap=False)
    assert frac[:, 2].min() >= 0 and frac[:, 2].max() < 1


def _inplane_offsets(upper, lower, cell2d):
    """Smallest in-plane distance from each upper atom to any lower atom."""
    return np.array([np.linalg.norm(inplane_mic(lower - p, cell2d), axis=1).min() for p in upper])


def test_stacking_continues_abc(cu111_3x3):
    out = add_li_layers(cu111_3x3, 4)
    cell2d = np.asarray(out.cell)[:2, :2]
    a_nn = _d_nn(cu111_3x3)
    tags = out.get_tags()
    planes = [out.positions[tags == t, :2] for t in (3, 2, 1, -1, -2, -3, -4)]  # bottom up
    for k in range(1, len(planes)):
        # each atom sits above a hollow of the plane below: a_nn/sqrt(3) from its atoms
        assert _inplane_offsets(planes[k], planes[k - 1], cell2d) == pytest.approx(
            a_nn / np.sqrt(3), abs=1e-6
        )
    for k in range(2, len(planes)):
        # ABC: never above the atoms two planes down (that would be hcp/AB)
        assert _inplane_offsets(planes[k], planes[k - 2], cell2d).min() > 1.0
    for k in range(3, len(planes)):
        # period three
        assert _inplane_offsets(planes[k], planes[k - 3], cell2d) == pytest.approx(0, abs=1e-6)


def test_stacking_hcp(cu111_3x3):
    out = add_li_layers(cu111_3x3, 2, stacking="hcp")
    cell2d = np.asarray(out.cell)[:2, :2]
    tags = out.get_tags()
    second, top = out.positions[tags == 2, :2], out.positions[tags == 1, :2]
    li1, li2 = out.positions[tags == -1, :2], out.positions[tags == -2, :2]
    assert _inplane_offsets(li1, second, cell2d) == pytest.approx(0, abs=1e-6)
    assert _inplane_offsets(li2, top, cell2d) == pytest.approx(0, abs=1e-6)


def test_pseudomorphic_spacings(cu111):
    out = add_li_layers(cu111, 3)
    li = out.info["li_layers"]
    d_li = bcc_li_nn_distance_a(A_LI)
    a_nn = _d_nn(cu111)
    d_li_cu = 0.5 * (d_li + a_nn)
    _, d = get_distances(out.positions, cell=out.cell, pbc=True)
    n_sub = li["n_atoms_substrate"]
    # Li1 - top Cu = (d_Li + d_Cu)/2, Li-Li between layers = bcc nn distance
    assert d[n_sub, :n_sub].min() == pytest.approx(d_li_cu)
    assert d[n_sub + 1, n_sub] == pytest.approx(d_li)
    assert li["spacing_substrate_li_a"] == pytest.approx(np.sqrt(d_li_cu**2 - a_nn**2 / 3))
    fixed = add_li_layers(cu111, 2, spacing_a=2.5)
    z = fixed.positions[:, 2]
    assert z[-1] - z[-2] == pytest.approx(2.5)
    assert z[-2] - z[:-2].max() == pytest.approx(2.5)


def test_zero_layers_is_copy(cu111):
    out = add_li_layers(cu111, 0)
    assert len(out) == len(cu111)
    assert out.info["li_layers"]["n_layers_li"] == 0
    assert out.info["li_layers"]["ideal_positions"] == []
    assert out is not cu111


def test_bcc110_on_cu111(cu111):
    out = add_li_layers(cu111, 2, construction="bcc110")
    li = out.info["li_layers"]
    # 9-atom oblique supercell of the 1x1 cell with 6 Li per layer (module docstring)
    assert abs(round(np.linalg.det(li["substrate_supercell_matrix"]))) == 9
    assert li["li_per_layer"] == 6
    assert out.get_chemical_symbols().count("Cu") == 4 * 9
    assert out.get_chemical_symbols().count("Li") == 12
    assert li["strain"]["max_abs"] <= 0.05
    assert li["strain"]["principal"] == pytest.approx([-0.0219, 0.0371], abs=1e-3)
    assert li["lattice_mismatch"] == pytest.approx(0.016, abs=1e-3)
    assert 0.9 < li["density_vs_bcc110"] < 1.1
    # bottom two planes of the repeated slab stay fixed, tags per layer
    fixed = out.constraints[0].get_indices()
    assert len(fixed) == 18
    assert set(out.get_tags()[fixed].tolist()) == {3, 4}
    assert sorted(set(out.get_tags()[li["indices"]].tolist())) == [-2, -1]
    # a along +x, no Li overlap, vacuum kept
    assert out.cell[0, 1] == pytest.approx(0.0, abs=1e-9)
    _, d = get_distances(out.positions, cell=out.cell, pbc=True)
    np.fill_diagonal(d, np.inf)
    assert d.min() > 2.5
    assert _gap(out) == pytest.approx(_gap(cu111))
    # AB stacking, a/sqrt(2) apart
    z = out.positions[li["indices"], 2]
    assert z[6:].mean() - z[:6].mean() == pytest.approx(A_LI / np.sqrt(2))


def test_bcc110_layer_series_searches_once_and_gets_identical_copies(cu111):
    """A layer series reuses the coincidence search of its slab cell; callers get copies."""
    from lithiophilic.structures import _li_overlayer

    _li_overlayer._SEARCH_MEMO.clear()
    one = add_li_layers(cu111, 1, construction="bcc110")
    three = add_li_layers(cu111, 3, construction="bcc110")
    assert len(_li_overlayer._SEARCH_MEMO) == 1
    first_layer = slice(len(one) - one.info["li_layers"]["li_per_layer"], len(one))
    assert np.array_equal(one.positions[first_layer], three.positions[first_layer])
    cell2d = np.asarray(cu111.cell)[:2, :2]
    found = _li_overlayer.search_bcc110(cell2d, 3.0, 3.44, 0.05, 12)
    found["li_basis"][:] = 0.0  # a caller changing its copy changes nothing stored
    again = _li_overlayer.search_bcc110(cell2d, 3.0, 3.44, 0.05, 12)
    assert np.abs(again["li_basis"]).min() > 0.1


def test_bcc110_same_lattice_keeps_cell(cu111):
    out = add_li_layers(cu111, 1, construction="bcc110", max_strain=0.3)
    assert out.info["li_layers"]["substrate_supercell_matrix"] == [[1, 0], [0, 1]]
    assert np.allclose(out.cell[:2], cu111.cell[:2])


def test_bcc110_unreachable_strain(cu111):
    with pytest.raises(ConfigurationError, match="raise max_strain or max_cells"):
        add_li_layers(cu111, 1, construction="bcc110", max_strain=0.01, max_cells=4)


@pytest.mark.parametrize("n", [-1, 11, 2.0, True])
def test_n_layers_range(cu111, n):
    with pytest.raises(
        ConfigurationError, match=r"n_layers_li=.* must be an integer in the range 0–10"
    ):
        add_li_layers(cu111, n)


def test_non_111_rejected(cu):
    slab = make_slabs(cu, (1, 0, 0), n_layers=4)[0]
    with pytest.raises(
        ConfigurationError, match=r"needs an fcc\(111\) slab; this slab has miller=\[1, 0, 0\]"
    ):
        add_li_layers(slab, 1)
    stripped = slab.copy()
    del stripped.info["miller"]
    with pytest.raises(ConfigurationError, match="six in-plane neighbours"):
        add_li_layers(stripped, 1)


def test_unknown_options(cu111):
    with pytest.raises(
        ConfigurationError, match="construction='fcc' is unknown; allowed: pseudomorphic, bcc110"
    ):
        add_li_layers(cu111, 1, construction="fcc")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="stacking='abab' is unknown"):
        add_li_layers(cu111, 1, stacking="abab")  # type: ignore[arg-type]
    with pytest.raises(
        ConfigurationError, match="stacking='hcp' is not allowed with construction='bcc110'"
    ):
        add_li_layers(cu111, 1, construction="bcc110", stacking="hcp")
    with pytest.raises(ConfigurationError, match=r"spacing_a=-1\.0 must be None"):
        add_li_layers(cu111, 1, spacing_a=-1.0)
    with pytest.raises(ConfigurationError, match=r"li_bcc_a_a=34\.4 must be"):
        add_li_layers(cu111, 1, li_bcc_a_a=34.4)
    with pytest.raises(ConfigurationError, match=r"max_strain=0\.0 must be"):
        add_li_layers(cu111, 1, construction="bcc110", max_strain=0.0)
    with pytest.raises(ConfigurationError, match="max_cells=0 must be"):
        add_li_layers(cu111, 1, construction="bcc110", max_cells=0)


def test_lattice_mismatch():
    assert lattice_mismatch(2.556, 2.979) == pytest.approx((2.556 - 2.979) / 2.979)
    assert lattice_mismatch(3.0, 3.0) == 0.0
    with pytest.raises(
        ConfigurationError, match=r"substrate_nn_distance_a=0\.0 must be a positive"
    ):
        lattice_mismatch(0.0, 2.9)
    with pytest.raises(ConfigurationError, match=r"li_nn_distance_a=-1\.0 must be a positive"):
        lattice_mismatch(2.5, -1.0)


# --------------------------------------------------------------------------- distortion


def test_distortion_zero_for_ideal(cu111_3x3):
    out = add_li_layers(cu111_3x3, 3)
    li = out.info["li_layers"]
    res = li_layer_distortion(
        out, ideal_positions=li["ideal_positions"], layer_index=li["layer_index"], cell=out.cell
    )
    assert res["rms_a"] == pytest.approx(0.0, abs=1e-12)
    assert [r["layer"] for r in res["layers"]] == [1, 2, 3]
    assert all(r["n_atoms"] == 9 for r in res["layers"])
    assert all(r["max_lateral_a"] == pytest.approx(0.0, abs=1e-12) for r in res["layers"])


def test_distortion_known_shift(cu111_3x3):
    out = add_li_layers(cu111_3x3, 3)
    li = out.info["li_layers"]
    relaxed = out.copy()
    idx = np.array(li["indices"])
    layer = np.array(li["layer_index"])
    # shift layer 2 by (0.3, 0.4) in-plane and down by 0.1 Å; one atom wraps across the cell
    sel = idx[layer == 2]
    relaxed.positions[sel] += [0.3, 0.4, -0.1]
    relaxed.positions[sel[0]] += relaxed.cell[0]
    res = li_layer_distortion(
        relaxed,
        ideal_positions=li["ideal_positions"],
        layer_index=li["layer_index"],
        cell=out.cell,
        indices=li["indices"],
    )
    rows = {r["layer"]: r for r in res["layers"]}
    assert rows[2]["rms_lateral_a"] == pytest.approx(0.5)
    assert rows[2]["max_lateral_a"] == pytest.approx(0.5)
    assert rows[2]["rms_vertical_a"] == pytest.approx(0.1)
    assert rows[2]["mean_vertical_a"] == pytest.approx(-0.1)
    assert rows[2]["rms_lateral_internal_a"] == pytest.approx(0.0, abs=1e-9)
    assert rows[1]["rms_lateral_a"] == pytest.approx(0.0, abs=1e-12)
    assert rows[3]["rms_vertical_a"] == pytest.approx(0.0, abs=1e-12)
    # overall over 27 Li, 9 of them displaced by sqrt(0.5^2 + 0.1^2)
    assert res["rms_a"] == pytest.approx(np.sqrt(9 * (0.25 + 0.01) / 27))
    assert res["max_lateral_a"] == pytest.approx(0.5)


def test_distortion_errors(cu111_3x3):
    out = add_li_layers(cu111_3x3, 1)
    li = out.info["li_layers"]
    with pytest.raises(AnalysisError, match="layer_index has 2 entries but ideal_positions has 9"):
        li_layer_distortion(
            out, ideal_positions=li["ideal_positions"], layer_index=[1, 1], cell=out.cell
        )
    with pytest.raises(AnalysisError, match="ideal_positions is empty"):
        li_layer_distortion(out, ideal_positions=[], layer_index=[], cell=out.cell)
    with pytest.raises(AnalysisError, match="must give one valid atom index"):
        li_layer_distortion(
            out,
            ideal_positions=li["ideal_positions"],
            layer_index=li["layer_index"],
            cell=out.cell,
            indices=[999] * 9,
        )
    with pytest.raises(AnalysisError, match="fewer than the"):
        li_layer_distortion(
            out[:3],
            ideal_positions=li["ideal_positions"],
            layer_index=li["layer_index"],
            cell=out.cell,
        )


def test_grow_li_layer_keeps_relaxed_film_and_follows_top_layer(cu111):
    """Layer n starts on the relaxed n−1 film, shifted with the mean move of layer n−1."""
    from lithiophilic.structures.li_layers import grow_li_layer

    one = add_li_layers(cu111, 1, construction="bcc110", li_bcc_a_a=A_LI)
    two = add_li_layers(cu111, 2, construction="bcc110", li_bcc_a_a=A_LI)
    info = two.info["li_layers"]
    n_sub, n_li = info["n_atoms_substrate"], info["li_per_layer"]
    assert len(one) == n_sub + n_li
    # a fake "relaxation" of the 1-layer film: substrate rattled, layer 1 slid and lowered
    relaxed = one.copy()
    rng = np.random.default_rng(0)
    relaxed.positions[:n_sub] += rng.normal(0.0, 0.02, (n_sub, 3))
    move = np.array([0.31, -0.12, -0.25])
    relaxed.positions[n_sub:] += move + rng.normal(0.0, 0.01, (n_li, 3))
    # wrap one Li laterally by a cell vector: the shift must be minimum-image
    relaxed.positions[n_sub] += relaxed.cell[0]
    grown = grow_li_layer(relaxed, two)
    assert len(grown) == len(two)
    assert np.allclose(grown.positions[: n_sub + n_li], relaxed.positions)
    layer2 = np.array(info["layer_index"]) == 2
    ideal2 = np.asarray(info["ideal_positions"])[layer2]
    shift = grown.positions[n_sub + n_li :] - ideal2
    assert np.allclose(shift, shift[0])  # the whole new layer moves rigidly
    assert np.allclose(shift[0], move, atol=0.01)
    assert grown.info["li_layers"]["growth"] == "sequential"
    assert grown.info["li_layers"]["ideal_positions"] == info["ideal_positions"]
    assert np.allclose(grown.cell, two.cell)
    assert grown.constraints[0].get_indices().tolist() == two.constraints[0].get_indices().tolist()
    assert np.allclose(two.positions[n_sub:], info["ideal_positions"])  # input untouched
    assert "growth" not in two.info["li_layers"]


def test_grow_li_layer_bad_inputs(cu111):
    from lithiophilic.structures.li_layers import grow_li_layer

    one = add_li_layers(cu111, 1, construction="bcc110", li_bcc_a_a=A_LI)
    two = add_li_layers(cu111, 2, construction="bcc110", li_bcc_a_a=A_LI)
    three = add_li_layers(cu111, 3, construction="bcc110", li_bcc_a_a=A_LI)
    with pytest.raises(ConfigurationError, match="relaxed_below"):
        grow_li_layer(one, three)  # one layer short
    with pytest.raises(ConfigurationError, match="n >= 2"):
        grow_li_layer(cu111, one)
    with pytest.raises(ConfigurationError, match="li_layers"):
        grow_li_layer(one, cu111)
    wider = one.copy()
    wider.set_cell(one.cell * [1.1, 1.0, 1.0], scale_atoms=False)
    with pytest.raises(ConfigurationError, match="lateral cell"):
        grow_li_layer(wider, two)
