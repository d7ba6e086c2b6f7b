from __future__ import annotations

import math

import pytest

from lithiophilic.analysis.surface import (
    formation_energy_per_atom_ev,
    gamma_vs_delta_mu,
    plot_surface_energies,
    relaxed_one_face_gamma_ev_per_a2,
    surface_energy_ev_per_a2,
    write_gamma_csv,
)
from lithiophilic.errors import AnalysisError
from lithiophilic.units import EV_PER_A2_TO_J_PER_M2, J_PER_M2_TO_EV_PER_A2


def test_unit_constant_matches_codata():
    assert pytest.approx(16.0217663, rel=1e-6) == EV_PER_A2_TO_J_PER_M2
    assert pytest.approx(1.0) == EV_PER_A2_TO_J_PER_M2 * J_PER_M2_TO_EV_PER_A2


def test_symmetric_stoichiometric_gamma():
    # 4 atoms at -3 eV each in bulk, slab 1 eV above -> 0.5 eV per face over 5 A^2
    assert surface_energy_ev_per_a2(-11.0, 4, -3.0, 5.0) == pytest.approx(0.1)


def test_one_face_relaxation_formula():
    g_unrel = surface_energy_ev_per_a2(-11.0, 4, -3.0, 5.0)
    g_rel = relaxed_one_face_gamma_ev_per_a2(g_unrel, -11.2, -11.0, 5.0)
    assert g_rel == pytest.approx(0.1 - 0.04)


@pytest.mark.parametrize(("area", "n"), [(0.0, 4), (-1.0, 4), (5.0, 0)])
def test_bad_area_or_count(area, n):
    with pytest.raises(AnalysisError, match="must be positive"):
        surface_energy_ev_per_a2(-1.0, n, -1.0, area)


def test_formation_energy_and_missing_reference():
    dh = formation_energy_per_atom_ev(-3.2, {"Cu": 0.5, "Zn": 0.5}, {"Cu": -4.0, "Zn": -2.0})
    assert dh == pytest.approx(-0.2)
    with pytest.raises(AnalysisError, match="Zn"):
        formation_energy_per_atom_ev(-3.2, {"Cu": 0.5, "Zn": 0.5}, {"Cu": -4.0})


def test_gamma_line_reduces_to_standard_formula_for_stoichiometric_slab():
    comp = {"Cu": 20, "Zn": 32}
    eps, area = -2.5, 80.0
    refs = {"Cu": -4.1, "Zn": -1.3}
    counts = {"Cu": 40, "Zn": 64}
    e_slab = 104 * eps + 2 * area * 0.06
    line = gamma_vs_delta_mu(e_slab, counts, comp, eps, refs, area)
    assert line.slope_per_a2 == pytest.approx(0.0, abs=1e-12)
    assert line.gamma_at_zero_ev_per_a2 == pytest.approx(0.06)
    assert line.variable_element == "Zn"


def test_gamma_line_for_zn_rich_slab():
    comp = {"Cu": 0.5, "Zn": 0.5}
    eps, area = -3.0, 10.0
    refs = {"Cu": -4.0, "Zn": -1.6}  # dH = -3 + 2.8 = -0.2 eV/atom
    counts = {"Cu": 4, "Zn": 6}
    e_slab = -29.0
    line = gamma_vs_delta_mu(e_slab, counts, comp, eps, refs, area)
    assert line.formation_energy_per_atom_ev == pytest.approx(-0.2)
    assert line.delta_mu_min_ev == pytest.approx(-0.4)
    assert line.delta_mu_max_ev == 0.0
    assert line.bulk_stable
    # direct evaluation: mu_Zn = -1.6 + d, mu_Cu = (eps - 0.5 mu_Zn)/0.5
    for d in (-0.4, -0.1, 0.0):
        mu_zn = refs["Zn"] + d
        mu_cu = (eps - 0.5 * mu_zn) / 0.5
        direct = (e_slab - 4 * mu_cu - 6 * mu_zn) / (2 * area)
        assert line.gamma_ev_per_a2(d) == pytest.approx(direct)
    # Zn-rich slab: gamma falls as Zn gets richer (slope negative in dmu_Zn)
    assert line.slope_per_a2 < 0
    assert line.gamma_min_ev_per_a2 == pytest.approx(line.gamma_ev_per_a2(0.0))


def test_gamma_line_needs_binary():
    with pytest.raises(AnalysisError, match="binary"):
        gamma_vs_delta_mu(-1, {"Cu": 1}, {"Cu": 1.0}, -1, {"Cu": -1}, 1.0)


def test_csv_and_plot(tmp_path):
    rows = [
        {
            "material": "Cu",
            "miller": [1, 1, 1],
            "termination": 0,
            "n_layers": 6,
            "n_atoms": 6,
            "method": "stoichiometric",
            "area_a2": 5.6,
            "gamma_unrelaxed_j_per_m2": 1.31,
            "gamma_relaxed_j_per_m2": 1.30,
            "gamma_relaxed_ev_per_a2": 0.081,
            "gamma_relaxed_min_j_per_m2": 1.30,
            "gamma_relaxed_max_j_per_m2": 1.30,
            "converged": True,
        },
        {
            "material": "Cu",
            "miller": [1, 0, 0],
            "termination": 0,
            "n_layers": 6,
            "n_atoms": 6,
            "method": "stoichiometric",
            "area_a2": 6.5,
            "gamma_unrelaxed_j_per_m2": 1.5,
            "gamma_relaxed_j_per_m2": 1.48,
            "gamma_relaxed_ev_per_a2": 0.092,
            "gamma_relaxed_min_j_per_m2": 1.48,
            "gamma_relaxed_max_j_per_m2": 1.48,
            "converged": True,
        },
        {"material": "X", "miller": [1, 0, 0], "gamma_relaxed_j_per_m2": None},
    ]
    csv_path = write_gamma_csv(rows, tmp_path / "g.csv")
    text = csv_path.read_text().splitlines()
    assert text[0].startswith("material,miller")
    assert text[1].startswith("Cu,111")
    png = plot_surface_energies(rows, tmp_path / "g.png")
    assert png.stat().st_size > 5000
    with pytest.raises(AnalysisError, match="no finite"):
        plot_surface_energies(
            [{"material": "X", "miller": [1, 1, 1], "gamma_relaxed_j_per_m2": math.nan}],
            tmp_path / "h.png",
        )


# ---------------------------------------------------------------- Δμ window (issue 18, item 4)
def _cuzn_phases():
    # x_Zn, dH_f (eV/atom): a hand-made Cu-Zn diagram with beta, gamma and epsilon on the hull
    return {"CuZn": (0.5, -0.10), "Cu5Zn8": (8 / 13, -0.10), "CuZn4": (0.8, -0.07)}


def test_delta_mu_window_from_two_phase_equilibria():
    from lithiophilic.analysis.surface import delta_mu_window

    w = delta_mu_window("Cu5Zn8", _cuzn_phases(), variable_element="Zn", dependent_element="Cu")
    x = 8 / 13
    assert w.stable_on_hull
    assert w.source == "two-phase equilibria"
    assert w.neighbours == ["CuZn", "CuZn4"]
    # beta + gamma tie line is flat (same dH): dmu_Zn = dmu_Cu = -0.10
    assert w.delta_mu_min_ev == pytest.approx(-0.10)
    slope = (-0.07 + 0.10) / (0.8 - x)
    assert w.delta_mu_max_ev == pytest.approx(-0.10 + (1 - x) * slope)
    # the physical window lies inside the elemental one, the Cu-rich bound above dH/x_Zn
    lo_el, hi_el = w.elemental_window_ev
    assert lo_el < w.delta_mu_min_ev < w.delta_mu_max_ev < hi_el
    assert w.delta_mu_min_ev > -0.10 / x
    assert all(v < 0 for v in w.energy_above_hull_of_phases_ev_per_atom.values())


def test_delta_mu_window_falls_back_to_elemental_bounds_when_unstable():
    from lithiophilic.analysis.surface import delta_mu_window

    phases = {**_cuzn_phases(), "Cu5Zn8": (8 / 13, -0.05)}  # above the beta-epsilon tie line
    w = delta_mu_window("Cu5Zn8", phases, variable_element="Zn", dependent_element="Cu")
    assert not w.stable_on_hull
    assert w.source == "elemental bounds"
    assert w.flag and "unstable" in w.flag
    assert w.energy_above_hull_ev_per_atom > 0.02
    assert w.energy_above_hull_of_phases_ev_per_atom["Cu5Zn8"] == pytest.approx(
        w.energy_above_hull_ev_per_atom
    )
    assert w.delta_mu_min_ev == pytest.approx(-0.05 / (8 / 13))
    assert w.delta_mu_max_ev == 0.0


def test_lowest_gamma_termination_at_cu_rich_edge_and_across_window():
    from lithiophilic.analysis.surface import (
        gamma_at_window_edges_j_per_m2,
        lowest_gamma_termination,
    )

    window = (-0.10, -0.05)
    # termination 0 Zn-rich (gamma falls with dmu_Zn), 1 Cu-rich (rises), 2 stoichiometric
    lines = {
        0: {"gamma_at_zero_ev_per_a2": 0.060, "slope_per_a2": -0.2},  # 0.080 .. 0.070
        1: {"gamma_at_zero_ev_per_a2": 0.085, "slope_per_a2": 0.2},  # 0.065 .. 0.075
        2: {"gamma_at_zero_ev_per_a2": 0.076, "slope_per_a2": 0.0},
    }
    rows = []
    for t, line in lines.items():
        lo, hi = gamma_at_window_edges_j_per_m2(line, window)
        rows.append(
            {
                "material": "Cu5Zn8",
                "miller": [1, 0, 0],
                "termination": t,
                "n_atoms": 100,
                "converged": True,
                "gamma_relaxed_j_per_m2": 0.5 * (lo + hi),
                "gamma_relaxed_at_delta_mu_min_j_per_m2": lo,
                "gamma_relaxed_at_delta_mu_max_j_per_m2": hi,
            }
        )
    assert rows[1]["gamma_relaxed_at_delta_mu_min_j_per_m2"] == pytest.approx(
        0.065 * EV_PER_A2_TO_J_PER_M2
    )
    assert lowest_gamma_termination(rows, "Cu5Zn8", [1, 0, 0]) == (1, True)
    assert lowest_gamma_termination({"rows": rows[1:]}, "Cu5Zn8", [1, 0, 0]) == (1, False)
    with pytest.raises(AnalysisError, match="no converged"):
        lowest_gamma_termination(rows, "Cu5Zn8", [1, 1, 1])
