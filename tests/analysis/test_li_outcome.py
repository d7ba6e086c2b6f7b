"""Where a relaxed Li ended up: adsorbed, incorporated, reconstructed (hand-built geometries).

Pure geometry, no calculator: each configuration is built by hand on an fcc Cu slab and a
corrugated (pocketed) Cu slab, measured with ``adsorbate_environment`` and classified by
``classify_li_outcome``.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import add_adsorbate, fcc100, fcc111

from lithiophilic.analysis.claims import claims_5c
from lithiophilic.analysis.li_outcome import (
    CHOICE_MAX_EDGE,
    OUTCOME_GRID,
    OutcomeSettings,
    classify_li_outcome,
    classify_site_row,
    coordination_number,
    facet_binding,
    outcome_settings_grid,
    strongest_site,
)
from lithiophilic.errors import ConfigurationError
from lithiophilic.structures.sites import (
    adsorbate_environment,
    displace_adsorbate,
    start_displacement_seed,
)

A_CU = 3.61


def _with_li(slab: Atoms, xyz) -> Atoms:
    atoms = slab.copy()
    atoms += Atoms("Li", positions=[xyz])
    return atoms


@pytest.fixture
def cu111():
    return fcc111("Cu", size=(3, 3, 4), a=A_CU, vacuum=8.0, orthogonal=False)


def _classify(atoms, change=None, moved=False, settings=None):
    env = adsorbate_environment(atoms, len(atoms) - 1)
    out = classify_li_outcome(
        env["neighbor_distance_ratios"],
        env["local_height_a"],
        change,
        moved=moved,
        settings=settings,
    )
    return env, out


def test_ontop_li_has_one_neighbour_and_is_adsorbed(cu111):
    top = cu111.positions[cu111.positions[:, 2].argmax()]
    env, out = _classify(_with_li(cu111, top + np.array([0, 0, 2.4])))
    assert out == {"outcome": "adsorbed", "outcome_detail": "on-site", "coordination_number": 1}
    assert env["neighbor_symbols"][0] == "Cu"
    assert env["neighbor_distances_a"][0] == pytest.approx(2.4)
    assert env["local_height_a"] == pytest.approx(2.4)


def test_fcc_hollow_li_has_three_neighbours(cu111):
    atoms = cu111.copy()
    add_adsorbate(atoms, "Li", 2.0, "fcc")
    env, out = _classify(atoms, moved=True)
    assert out["coordination_number"] == 3
    assert out["outcome"] == "adsorbed" and out["outcome_detail"] == "moved"
    assert env["local_height_a"] == pytest.approx(2.0)
    assert env["neighbor_distances_a"][0] == pytest.approx(np.hypot(2.0, A_CU / np.sqrt(6)))


def test_li_below_the_top_layer_is_incorporated_subsurface(cu111):
    z = cu111.positions[:, 2]
    tops = np.sort(np.unique(np.round(z, 3)))
    # halfway between the first and second plane, over an fcc-like position
    top = cu111.positions[z.argmax()]
    xyz = top + np.array([0.0, A_CU / np.sqrt(6), -(tops[-1] - tops[-2]) / 2])
    env, out = _classify(_with_li(cu111, xyz))
    assert env["local_height_a"] < 0
    assert out["outcome"] == "incorporated" and out["outcome_detail"] == "subsurface"


def test_li_in_a_pocket_is_over_coordinated_though_above_the_mean_top_layer():
    """A corrugated surface: a Li level with the rim of a 4-fold pocket.

    Cu(100) 4x4, 5 planes; the four top atoms around one hollow rise by 0.6 Å (a rim) and the
    Li sits level with them, 0.6 Å above the mean top plane, as an "adsorbed" Li would by the
    old in-plane/mean-height test: the local surface (the rim) says it sank in.
    """
    slab = fcc100("Cu", size=(4, 4, 5), a=A_CU, vacuum=8.0)
    z = slab.positions[:, 2]
    top_idx = np.flatnonzero(z > z.max() - 0.1)
    hollow = slab.positions[top_idx[[0, 1, 4, 5]]].mean(axis=0)
    d = np.linalg.norm(slab.positions[top_idx, :2] - hollow[:2], axis=1)
    pocket = top_idx[d < 2.6]
    assert len(pocket) == 4
    atoms = slab.copy()
    atoms.positions[pocket, 2] += 0.6  # the rim around the pocket rises
    li = hollow + np.array([0.0, 0.0, 0.6])
    env, out = _classify(_with_li(atoms, li))
    ratios = env["neighbor_distance_ratios"]
    assert coordination_number(ratios, 1.2) == out["coordination_number"]
    assert env["local_height_a"] == pytest.approx(0.0, abs=1e-6)  # level with the raised rim
    assert out["outcome"] == "incorporated"


def test_over_coordination_alone_makes_incorporated():
    ratios = [1.0] * 6
    out = classify_li_outcome(ratios, 1.0, 0.0, moved=False)
    assert out == {
        "outcome": "incorporated",
        "outcome_detail": "over-coordinated",
        "coordination_number": 6,
    }
    assert classify_li_outcome(ratios[:5], 1.0, 0.0, moved=False)["outcome"] == "adsorbed"


def test_substrate_change_makes_reconstructed_and_takes_precedence(cu111):
    top = cu111.positions[cu111.positions[:, 2].argmax()]
    atoms = _with_li(cu111, top + np.array([0, 0, 2.4]))
    assert _classify(atoms, change=-0.04)[1]["outcome"] == "adsorbed"  # within 0.05 eV
    out = _classify(atoms, change=-0.2)[1]
    assert out["outcome"] == "reconstructed" and out["outcome_detail"] == "substrate-rearranged"
    # a lower threshold flips it: the threshold is a knob, recorded with the result
    tight = OutcomeSettings(reconstruction_threshold_ev=0.02)
    assert _classify(atoms, change=-0.04, settings=tight)[1]["outcome"] == "reconstructed"
    assert _classify(atoms, change=None)[1]["outcome"] == "adsorbed"  # not computed


def test_radius_factor_changes_the_coordination():
    ratios = [1.05, 1.15, 1.25, 1.35]
    assert [coordination_number(ratios, f) for f in (1.1, 1.2, 1.3, 1.4)] == [1, 2, 3, 4]


def test_environment_uses_periodic_images(cu111):
    # a Li over the cell corner sees its neighbours through the periodic boundary
    corner = cu111.positions[cu111.positions[:, 2].argmax()].copy()
    atoms = _with_li(cu111, corner + np.array([0, 0, 2.4]))
    atoms.positions[-1, :2] -= cu111.cell[0, :2]  # same point, one cell to the left
    env = adsorbate_environment(atoms, len(atoms) - 1)
    assert env["neighbor_distances_a"][0] == pytest.approx(2.4)


def test_environment_bad_index(cu111):
    with pytest.raises(ConfigurationError, match="adsorbate_index"):
        adsorbate_environment(cu111, len(cu111) + 3)


def test_seeded_displacement_is_reproducible_and_small(cu111):
    atoms = _with_li(cu111, [1.0, 1.0, cu111.positions[:, 2].max() + 2.0])
    seed = start_displacement_seed("Cu5Zn8", "(111)", 0, None, "bridge-0")
    assert seed == start_displacement_seed("Cu5Zn8", "(111)", 0, None, "bridge-0")
    assert seed != start_displacement_seed("Cu5Zn8", "(111)", 0, None, "bridge-1")
    a, va = displace_adsorbate(atoms, len(atoms) - 1, magnitude_a=0.03, seed=seed)
    b, vb = displace_adsorbate(atoms, len(atoms) - 1, magnitude_a=0.03, seed=seed)
    assert va == vb and np.allclose(a.positions, b.positions)
    assert np.linalg.norm(va) == pytest.approx(0.03) and va[2] == 0.0
    assert np.allclose(a.positions[:-1], atoms.positions[:-1])
    assert a.info["adsorbate"]["start_displacement_seed"] == seed
    with pytest.raises(ConfigurationError, match="magnitude_a"):
        displace_adsorbate(atoms, len(atoms) - 1, magnitude_a=0.5, seed=seed)


def _row(label, eb, *, ratios=(1.0, 1.0, 1.0), height=2.0, change=0.0, converged=True):
    return {
        "site_label": label,
        "binding_energy_bcc_ev": eb,
        "neighbor_distance_ratios": list(ratios),
        "local_height_a": height,
        "substrate_change_ev": change,
        "moved": False,
        "converged": converged,
    }


def _summary(material, rows, **extra):
    best = max(rows, key=lambda r: r["binding_energy_bcc_ev"])
    return {
        "material": material,
        "miller": [1, 1, 1],
        "binding_energy_bcc_ev": best["binding_energy_bcc_ev"],
        "lowest_site_label": best["site_label"],
        "rows": rows,
        "n_sites": len(rows),
        **extra,
    }


def test_strongest_site_compares_adsorbed_sites_only():
    rows = [
        _row("ontop-4", 1.37, ratios=[1.0] * 6, height=0.3),  # pocket: incorporated
        _row("hollow4-0", 0.82, change=-0.3),  # substrate rearranged
        _row("fcc-0", 0.45),
        _row("bridge-0", 0.6, converged=False),
    ]
    assert strongest_site(rows)["site_label"] == "fcc-0"
    inc = strongest_site(rows, outcomes=("incorporated", "reconstructed"))
    assert inc["site_label"] == "ontop-4"
    assert classify_site_row(rows[3]) is None
    # a document from before the outcome classes: only the subsurface test
    assert classify_site_row({"converged": True, "subsurface": False}) == "adsorbed"
    assert classify_site_row({"converged": True, "subsurface": True}) == "incorporated"


def test_grid_spans_every_combination():
    grid = outcome_settings_grid()
    assert len(grid) == np.prod([len(v) for v in OUTCOME_GRID.values()])
    assert OutcomeSettings() in grid


def test_claim_uses_adsorbed_sites_and_sample_spread():
    cu = _summary("Cu", [_row("fcc-0", 0.54), _row("ontop-0", 0.40)])
    gb = _summary(
        "Cu5Zn8",
        [_row("ontop-4", 1.37, ratios=[1.0] * 6, height=0.9), _row("bridge-0", 0.50)],
        termination=1,
    )
    ss = [
        _summary("Cu0.64Zn0.36", [_row("hcp-0", eb)], sqs_seed=k)
        for k, eb in enumerate((0.50, 0.52, 0.56))
    ]
    fb = facet_binding([cu, gb, *ss])
    assert fb[("Cu5Zn8", (1, 1, 1))]["binding_energy_bcc_ev"] == pytest.approx(0.50)
    alloy = fb[("Cu0.64Zn0.36", (1, 1, 1))]
    assert alloy["n_slabs"] == 3
    assert alloy["binding_energy_bcc_ev"] == pytest.approx(0.526667, abs=1e-6)
    assert alloy["half_range_ev"] == pytest.approx(0.03)
    main, skin = claims_5c({"summaries": [cu, gb, *ss]})
    # 0.527 - 0.54 = -0.013, tie tolerance 0.03 + 0.03: inconclusive at every setting
    assert main.verdict == "inconclusive"
    assert "3 SQS samples" in main.ours and "holds at all 27" in main.reason
    # the pocket site (incorporated) binds more strongly than Cu's adsorbed site
    assert skin.verdict == "agree" and "ontop-4" in skin.reason


def test_claim_flips_with_the_height_threshold_are_inconclusive():
    cu = _summary("Cu", [_row("fcc-0", 0.54)])
    # the alloy's strongest site sits 0.6 Å above the local surface: adsorbed at the default
    # 0.5 Å threshold, incorporated at 0.75 Å, and then the weaker site decides
    alloy = _summary("Cu0.64Zn0.36", [_row("hcp-0", 0.70, height=0.6), _row("fcc-0", 0.40)])
    (main, _) = claims_5c({"summaries": [cu, alloy]})
    assert main.verdict == "inconclusive" and "flips" in main.reason
    steady = _summary("Cu0.64Zn0.36", [_row("hcp-0", 0.70, height=1.6)])
    assert claims_5c({"summaries": [cu, steady]})[0].verdict == "agree"


def test_second_termination_is_reported_beside_the_verdict():
    cu = _summary("Cu", [_row("fcc-0", 0.54)])
    alloy = _summary("Cu0.64Zn0.36", [_row("hcp-0", 0.60)])
    gb1 = _summary("Cu5Zn8", [_row("fcc-0", 0.50)], termination=1)
    gb0 = _summary(
        "Cu5Zn8", [_row("fcc-0", 0.90)], termination=0, termination_choice=CHOICE_MAX_EDGE
    )
    (main, _) = claims_5c({"summaries": [cu, alloy, gb1, gb0]})
    assert main.verdict == "agree"  # the Cu-rich-edge termination decides
    assert "Δμ-max edge: disagree" in main.reason


def test_legacy_summaries_without_rows_data_still_give_a_verdict():
    cu = {"material": "Cu", "miller": [1, 1, 1], "binding_energy_bcc_ev": 0.54, "rows": []}
    alloy = {**cu, "material": "Cu0.64Zn0.36", "binding_energy_bcc_ev": 0.50}
    (main,) = claims_5c({"summaries": [cu, alloy]})  # no per-site outcomes: no incorporation row
    assert main.verdict == "disagree"
