"""PDOS analysis: DOS at E_F, d-band centre, broadening, element averages, plot, CSV."""

from __future__ import annotations

import numpy as np
import pytest

from lithiophilic.analysis.pdos import (
    d_band_centre_ev,
    dos_at_fermi,
    element_pdos,
    gaussian_broaden,
    pdos_summary,
    plot_pdos,
    write_pdos_csv,
)
from lithiophilic.errors import AnalysisError

E = np.linspace(-10.0, 5.0, 1501)


def _gauss(centre, width=0.5, weight=1.0):
    return weight * np.exp(-(((E - centre) / width) ** 2)) / (np.sqrt(np.pi) * width)


def test_d_band_centre_and_dos_at_fermi():
    assert d_band_centre_ev(E, _gauss(-3.0)) == pytest.approx(-3.0, abs=1e-6)
    # two peaks of weight 2 and 1: first moment (2*(-4) + 1*(-1))/3 = -3
    assert d_band_centre_ev(E, _gauss(-4.0, weight=2) + _gauss(-1.0)) == pytest.approx(
        -3.0, abs=1e-4
    )
    flat = np.full_like(E, 0.3)
    assert dos_at_fermi(E, flat) == pytest.approx(0.3)
    assert dos_at_fermi(E, _gauss(-3.0)) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(AnalysisError, match="no d states"):
        d_band_centre_ev(E, np.zeros_like(E))
    with pytest.raises(AnalysisError, match="does not cover"):
        dos_at_fermi(np.linspace(-5, -1, 50), np.ones(50))
    with pytest.raises(AnalysisError, match="does not match the grid"):
        dos_at_fermi(E, np.ones(10))


def test_broadening_conserves_states_and_widens():
    peak = _gauss(-3.0, width=0.05)
    wide = gaussian_broaden(E, peak, 0.3)
    assert np.trapezoid(wide, E) == pytest.approx(np.trapezoid(peak, E), rel=1e-4)
    assert wide.max() < peak.max() / 3
    with pytest.raises(AnalysisError, match="width_ev must be > 0"):
        gaussian_broaden(E, peak, 0.0)


def test_element_average_summary_plot_csv(tmp_path):
    symbols = ["Cu", "Zn", "Cu"]
    pdos = np.zeros((3, 3, len(E)))
    pdos[0, 2] = _gauss(-2.0)
    pdos[2, 2] = _gauss(-4.0)
    pdos[1, 2] = _gauss(-7.5)
    pdos[:, 0] = 0.1
    per_el = element_pdos(pdos, symbols)
    assert list(per_el) == ["Cu", "Zn"]
    summary = pdos_summary(E, pdos, symbols)
    assert summary["Cu"]["n_atoms"] == 2
    assert summary["Cu"]["d_band_centre_ev"] == pytest.approx(-3.0, abs=1e-4)
    assert summary["Zn"]["d_band_centre_ev"] == pytest.approx(-7.5, abs=1e-3)
    assert summary["Zn"]["dos_at_fermi_states_per_ev_atom"] == pytest.approx(0.1, abs=1e-6)
    with pytest.raises(AnalysisError, match="must have shape"):
        element_pdos(pdos, ["Cu"])
    png = plot_pdos(
        {"X": {"energies_ev": E, "element_pdos": {k: v.tolist() for k, v in per_el.items()}}},
        tmp_path / "fig5b.png",
    )
    assert png.stat().st_size > 1000
    csv = write_pdos_csv(
        [{"material": "X", "element": "Cu", "d_band_centre_ev": -3.0}], tmp_path / "p.csv"
    )
    assert "d_band_centre_ev" in csv.read_text().splitlines()[0]
    with pytest.raises(AnalysisError, match="no materials"):
        plot_pdos({}, tmp_path / "empty.png")


# ------------------------------------------------------- sum rule (issue 18, item 7)
def test_dos_sum_rule_per_atom_and_ratio():
    from lithiophilic.analysis.pdos import dos_sum_rule

    e = np.linspace(-10.0, 5.0, 1501)
    total = np.full_like(e, 2.0)  # states/eV/cell, 2 atoms: 1.0 per atom
    el_pdos = {
        "Cu": [np.full_like(e, 0.1), np.full_like(e, 0.1), np.full_like(e, 0.6)],  # 0.8 per atom
        "Zn": [np.full_like(e, 0.2), np.full_like(e, 0.2), np.zeros_like(e)],  # 0.4 per atom
    }
    out = dos_sum_rule(e, total, el_pdos, {"Cu": 1, "Zn": 1})
    assert out["total_dos_at_fermi_states_per_ev_atom"] == pytest.approx(1.0)
    assert out["sphere_sum_dos_at_fermi_states_per_ev_atom"] == pytest.approx(0.6)
    assert out["sphere_to_total_ratio"] == pytest.approx(0.6)
    with pytest.raises(AnalysisError, match="no PDOS for elements"):
        dos_sum_rule(e, total, el_pdos, {"Cu": 1, "Al": 1})


@pytest.mark.slow
def test_gpaw_cu_total_dos_counts_the_valence_electrons_and_bounds_the_sphere_sum(tmp_path):
    """Small GPAW Cu: the total DOS holds 11 e below E_F; the spheres see less of it at E_F."""
    from ase.build import bulk

    from lithiophilic.analysis.pdos import dos_sum_rule, element_pdos
    from lithiophilic.potentials.dft.gpaw import gpaw_pdos

    _, arr = gpaw_pdos(
        bulk("Cu", "fcc", a=3.63),
        settings={"ecut_ev": 300.0, "kpt_density_a": 2.5, "nprocs": 1},
        dos_kpt_density_a=2.5,
        width_ev=0.2,
        energy_window_ev=(-13.0, 3.0),
        n_points=801,
        directory=tmp_path,
    )
    e, total = arr["energies_ev"], arr["total_dos"]
    occupied = e <= 0.0
    n_electrons = np.trapezoid(total[occupied], e[occupied])
    assert n_electrons == pytest.approx(11.0, abs=0.35)  # Cu 3d10 4s1, spin-summed
    rule = dos_sum_rule(e, total, element_pdos(arr["pdos"], ["Cu"]), {"Cu": 1})
    # the 8x8x8 mesh leaves DOS(E_F) spiky (0.62 here, 0.36 on 12x12x12); the ratio is not (0.78)
    assert 0.1 < rule["total_dos_at_fermi_states_per_ev_atom"] < 1.0
    assert 0.5 < rule["sphere_to_total_ratio"] <= 1.0
