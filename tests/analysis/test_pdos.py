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
