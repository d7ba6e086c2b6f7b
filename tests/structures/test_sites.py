from __future__ import annotations

import numpy as np
import pytest
from ase.data import covalent_radii
from ase.geometry import get_distances

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures import make_bulk, make_slabs
from lithiophilic.structures.sites import (
    SITE_KINDS,
    Site,
    classify_site_after_relaxation,
    find_adsorption_sites,
    inplane_mic,
    lateral_supercell_for_spacing,
    place_adsorbate,
)

R_LI_CU = covalent_radii[3] + covalent_radii[29]


@pytest.fixture(scope="module")
def cu():
    return make_bulk("Cu")


@pytest.fixture(scope="module")
def cu111(cu):
    return make_slabs(cu, (1, 1, 1), n_layers=4, supercell=(3, 3), n_fixed_layers=2, fix="bottom")[
        0
    ]


@pytest.fixture(scope="module")
def cu111_sites(cu111):
    return find_adsorption_sites(cu111)


def _kinds(sites):
    return [s.kind for s in sites]


def test_cu111_has_four_distinct_sites(cu111_sites):
    assert _kinds(cu111_sites) == ["ontop", "bridge", "fcc", "hcp"]
    assert [s.label for s in cu111_sites] == ["ontop-0", "bridge-0", "fcc-0", "hcp-0"]
    assert [s.multiplicity for s in cu111_sites] == [9, 27, 9, 9]
    assert [s.neighbors for s in cu111_sites] == [
        ("Cu",),
        ("Cu", "Cu"),
        ("Cu", "Cu", "Cu"),
        ("Cu", "Cu", "Cu"),
    ]
    for s in cu111_sites:
        assert len(s.equivalent_positions) == s.multiplicity


def test_cu111_1x1_same_sites(cu):
    slab = make_slabs(cu, (1, 1, 1), n_layers=4)[0]
    sites = find_adsorption_sites(slab)
    assert _kinds(sites) == ["ontop", "bridge", "fcc", "hcp"]
    assert [s.multiplicity for s in sites] == [1, 3, 1, 1]


def test_fcc_and_hcp_distinguished_by_atom_below(cu111, cu111_sites):
    tags = cu111.get_tags()
    fcc = next(s for s in cu111_sites if s.kind == "fcc")
    hcp = next(s for s in cu111_sites if s.kind == "hcp")
    cell2d = np.asarray(cu111.cell)[:2, :2]

    def tag_below(site):
        d = np.linalg.norm(inplane_mic(cu111.positions[:, :2] - site.position[:2], cell2d), axis=1)
        below = np.flatnonzero(d < 0.1)
        return sorted(tags[below].tolist())

    assert tag_below(hcp)[0] == 2  # atom of the second plane right below
    assert 2 not in tag_below(fcc)
    assert tag_below(fcc)[0] == 3  # third plane: ABC continues
    # all hollow neighbours are top-plane atoms at a_nn/sqrt(3)
    for site in (fcc, hcp):
        assert all(tags[i] == 1 for i in site.neighbor_indices)
        assert site.position[2] == pytest.approx(cu111.positions[tags == 1, 2].mean())


def test_cu100_sites(cu):
    slab = make_slabs(cu, (1, 0, 0), n_layers=4, supercell=(3, 3))[0]
    sites = find_adsorption_sites(slab)
    assert _kinds(sites) == ["ontop", "bridge", "hollow4"]
    assert sites[2].neighbors == ("Cu",) * 4


def test_cu110_sites(cu):
    slab = make_slabs(cu, (1, 1, 0), n_layers=4, supercell=(2, 3))[0]
    sites = find_adsorption_sites(slab)
    # ontop, short bridge (along the rows), long bridge (across), four-fold hollow
    assert _kinds(sites) == ["ontop", "bridge", "bridge", "hollow4"]
    top = slab.positions[slab.get_tags() == 1]
    bridge_lengths = []
    for s in sites[1:3]:
        a, b = s.neighbor_indices
        bridge_lengths.append(slab.get_distance(a, b, mic=True))
    a_cu = np.linalg.norm(cu.cell[0]) * np.sqrt(2)  # primitive fcc vector = a/sqrt(2)
    assert sorted(bridge_lengths) == pytest.approx([a_cu / np.sqrt(2), a_cu], rel=0.01)
    assert len(top) == 6


def test_kinds_filter_and_hollow_alias(cu111):
    only = find_adsorption_sites(cu111, kinds=("hollow",))
    assert _kinds(only) == ["fcc", "hcp"]
    assert _kinds(find_adsorption_sites(cu111, kinds=["ontop"])) == ["ontop"]


@pytest.mark.parametrize("kinds", [("ontop", "threefold"), ("fcc", "top")])
def test_unknown_kind(cu111, kinds):
    with pytest.raises(ConfigurationError, match=r"unknown site kind.*allowed: ontop, bridge"):
        find_adsorption_sites(cu111, kinds=kinds)


def test_distance_a_lifts_positions(cu111, cu111_sites):
    lifted = find_adsorption_sites(cu111, distance_a=1.0)
    for a, b in zip(cu111_sites, lifted, strict=True):
        assert b.position[2] == pytest.approx(a.position[2] + 1.0)


def test_alloy_sites_are_chemically_distinct(cu111):
    alloy = cu111.copy()
    rng = np.random.default_rng(1)
    symbols = np.array(alloy.get_chemical_symbols())
    symbols[rng.choice(len(alloy), size=13, replace=False)] = "Zn"
    alloy.set_chemical_symbols(symbols.tolist())
    sites = find_adsorption_sites(alloy)
    # random decoration: no symmetry left, every position is its own site
    assert len(sites) == 9 + 27 + 9 + 9
    assert all(s.multiplicity == 1 for s in sites)
    envs = find_adsorption_sites(alloy, reduce_by_environment=True)
    assert len({s.environment for s in envs}) == len(envs)
    assert sum(s.multiplicity for s in envs) == 54
    assert {s.kind for s in envs} <= set(SITE_KINDS)
    for s in envs:
        assert list(s.neighbors) == sorted(alloy[i].symbol for i in s.neighbor_indices)


def test_site_is_frozen_and_serialisable(cu111_sites):
    site = cu111_sites[0]
    with pytest.raises(AttributeError):
        site.kind = "bridge"  # type: ignore[misc]
    data = site.as_dict()
    assert data["label"] == "ontop-0"
    assert isinstance(data["position"], list)


# --------------------------------------------------------------------------- supercell


def test_lateral_supercell_cu111_a36():
    slab = make_slabs(make_bulk("Cu", a_a=3.6), (1, 1, 1), n_layers=3)[0]
    n1, n2 = lateral_supercell_for_spacing(slab)
    assert (n1, n2) == (3, 3)
    big = slab.repeat((n1, n2, 1))
    # shortest in-plane image distance, a±b included
    a, b = big.cell[0], big.cell[1]
    lengths = [np.linalg.norm(v) for v in (a, b, a + b, a - b)]
    assert min(lengths) >= 7.0


def test_lateral_supercell_rectangular(cu):
    slab = make_slabs(cu, (1, 1, 0), n_layers=4)[0]
    n1, n2 = lateral_supercell_for_spacing(slab, min_image_distance_a=7.0)
    assert n1 * np.linalg.norm(slab.cell[0]) >= 7.0
    assert n2 * np.linalg.norm(slab.cell[1]) >= 7.0
    assert (n1, n2) == (2, 3)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_lateral_supercell_bad_distance(cu111, bad):
    with pytest.raises(ConfigurationError, match=r"min_image_distance_a=.* must be a positive"):
        lateral_supercell_for_spacing(cu111, min_image_distance_a=bad)


def test_lateral_supercell_unreachable(cu111):
    with pytest.raises(ConfigurationError, match="cannot be reached"):
        lateral_supercell_for_spacing(cu111, min_image_distance_a=500.0, max_repeat=3)


# --------------------------------------------------------------------------- placing


def test_place_adsorbate_covalent_contact(cu111, cu111_sites):
    n = len(cu111)
    for site in cu111_sites:
        ads = place_adsorbate(cu111, site)
        assert len(ads) == n + 1
        assert len(cu111) == n  # input untouched
        assert "adsorbate" not in cu111.info
        _, d = get_distances(ads.positions[-1:], ads.positions[:-1], cell=ads.cell, pbc=True)
        assert d.min() == pytest.approx(R_LI_CU, abs=1e-6)
        info = ads.info["adsorbate"]
        assert info["site_kind"] == site.kind
        assert info["site_label"] == site.label
        assert info["index"] == n
        assert ads.get_tags()[-1] == 0
        fixed = ads.constraints[0].get_indices()
        assert n not in fixed
        assert len(fixed) == 18
    heights = {s.kind: place_adsorbate(cu111, s).info["adsorbate"]["height_a"] for s in cu111_sites}
    assert heights["ontop"] == pytest.approx(R_LI_CU)
    # hollow: sqrt(r^2 - (a_nn/sqrt 3)^2)
    a_nn = np.linalg.norm(cu111.cell[0]) / 3
    assert heights["fcc"] == pytest.approx(np.sqrt(R_LI_CU**2 - a_nn**2 / 3), abs=1e-6)
    assert heights["ontop"] > heights["bridge"] > heights["fcc"]


def test_place_adsorbate_explicit_height_and_position(cu111):
    ads = place_adsorbate(cu111, (0.3, 0.4), symbol="Na", height_a=3.0)
    z_top = cu111.positions[cu111.get_tags() == 1, 2].mean()
    assert ads[-1].symbol == "Na"
    assert ads.positions[-1] == pytest.approx([0.3, 0.4, z_top + 3.0])
    assert ads.info["adsorbate"]["site_kind"] is None


def test_place_adsorbate_overlap(cu111, cu111_sites):
    with pytest.raises(ConfigurationError, match=r"closer than min_distance_a=1.5"):
        place_adsorbate(cu111, cu111_sites[0], height_a=0.5)


def test_place_adsorbate_no_vacuum(cu):
    slab = make_slabs(cu, (1, 1, 1), n_layers=4)[0]
    squeezed = slab.copy()
    cell = squeezed.cell.copy()
    cell[2, 2] = np.ptp(slab.positions[:, 2]) + 2.0
    squeezed.set_cell(cell)
    squeezed.positions[:, 2] -= slab.positions[:, 2].min() - 1.0
    with pytest.raises(ConfigurationError, match=r"needs at least 5\.0 Å of vacuum"):
        place_adsorbate(squeezed, (0.0, 0.0))


@pytest.mark.parametrize("symbol", ["Xx", "li", "X", ""])
def test_place_adsorbate_unknown_element(cu111, symbol):
    with pytest.raises(ConfigurationError, match="is not a chemical element symbol"):
        place_adsorbate(cu111, (0.0, 0.0), symbol=symbol)


def test_place_adsorbate_bad_position(cu111):
    with pytest.raises(ConfigurationError, match="must be a Site or a Cartesian"):
        place_adsorbate(cu111, (1.0,))


def test_bad_cell_rejected(cu111):
    tilted = cu111.copy()
    cell = tilted.cell.copy()
    cell[0, 2] = 1.0
    tilted.set_cell(cell)
    with pytest.raises(ConfigurationError, match="a and b in the xy plane"):
        find_adsorption_sites(tilted)


# --------------------------------------------------------------------------- after relaxation


def _site(sites, kind):
    return next(s for s in sites if s.kind == kind)


def test_classify_unmoved(cu111, cu111_sites):
    top = _site(cu111_sites, "ontop")
    ads = place_adsorbate(cu111, top)
    res = classify_site_after_relaxation(
        ads, adsorbate_index=len(ads) - 1, initial_site=top, sites=cu111_sites
    )
    assert res["final_site_label"] == "ontop-0"
    assert res["moved"] is False
    assert res["lateral_displacement_a"] == pytest.approx(0.0, abs=1e-9)
    assert res["height_above_surface_a"] == pytest.approx(R_LI_CU)
    assert res["subsurface"] is False
    assert res["on_site"] is True


def test_classify_top_to_fcc(cu111, cu111_sites):
    top = _site(cu111_sites, "ontop")
    fcc = _site(cu111_sites, "fcc")
    relaxed = place_adsorbate(cu111, top)
    # the Li slid into the nearest fcc hollow (not the representative one) and came down
    cell2d = np.asarray(cu111.cell)[:2, :2]
    eq = np.asarray(fcc.equivalent_positions)
    dist = np.linalg.norm(inplane_mic(eq[:, :2] - top.position[:2], cell2d), axis=1)
    # three fcc hollows are equally near an on-top site: take one that is not the representative
    nearest = np.flatnonzero(np.isclose(dist, dist.min(), atol=1e-6))
    choice = int(next(k for k in nearest if k != 0))
    target = eq[choice]
    relaxed.positions[-1] = [target[0], target[1], target[2] + 2.1]
    res = classify_site_after_relaxation(
        relaxed, adsorbate_index=-1, initial_site=top, sites=cu111_sites
    )
    assert res["final_site_kind"] == "fcc"
    assert res["final_site_label"] == "fcc-0"
    assert res["moved"] is True
    a_nn = np.linalg.norm(cu111.cell[0]) / 3
    assert res["lateral_displacement_a"] == pytest.approx(a_nn / np.sqrt(3))
    assert res["height_above_surface_a"] == pytest.approx(2.1)
    assert res["subsurface"] is False


def test_classify_pushed_below_surface(cu111, cu111_sites):
    hcp = _site(cu111_sites, "hcp")
    fcc = _site(cu111_sites, "fcc")
    relaxed = place_adsorbate(cu111, fcc)
    relaxed.positions[-1, :2] = hcp.position[:2]
    relaxed.positions[-1, 2] = hcp.position[2] - 1.0
    res = classify_site_after_relaxation(
        relaxed, adsorbate_index=len(relaxed) - 1, initial_site=fcc, sites=cu111_sites
    )
    assert res["subsurface"] is True
    assert res["height_above_surface_a"] == pytest.approx(-1.0)
    assert res["final_site_kind"] == "hcp"
    assert res["moved"] is True


def test_classify_between_sites(cu111, cu111_sites):
    top = _site(cu111_sites, "ontop")
    relaxed = place_adsorbate(cu111, top)
    relaxed.positions[-1, 0] += 0.4
    res = classify_site_after_relaxation(
        relaxed, adsorbate_index=len(relaxed) - 1, initial_site=top, sites=cu111_sites, tol_a=0.3
    )
    assert res["on_site"] is False


def test_classify_errors(cu111, cu111_sites):
    ads = place_adsorbate(cu111, cu111_sites[0])
    with pytest.raises(ConfigurationError, match="adsorbate_index=99 is out of range"):
        classify_site_after_relaxation(
            ads, adsorbate_index=99, initial_site=cu111_sites[0], sites=cu111_sites
        )
    with pytest.raises(ConfigurationError, match="sites is empty"):
        classify_site_after_relaxation(
            ads, adsorbate_index=len(ads) - 1, initial_site=cu111_sites[0], sites=[]
        )


def test_site_dataclass_defaults():
    s = Site(kind="ontop", position=(0.0, 0.0, 1.0), label="ontop-0", neighbors=("Cu",))
    assert s.multiplicity == 1
    assert s.environment == ("ontop", ("Cu",), None)
