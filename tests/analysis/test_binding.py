from __future__ import annotations

import numpy as np
import pytest

from lithiophilic.analysis.binding import (
    BINDING_DEFINITION,
    adsorption_energy_ev,
    average_binding_energies_ev,
    binding_energy_ev,
    incremental_binding_energies_ev,
    li_cohesive_energy_ev,
    plot_layer_binding,
    plot_multilayer_structures,
    plot_site_binding,
    summarize_sites,
)
from lithiophilic.errors import AnalysisError
from lithiophilic.structures import make_bulk, make_slabs
from lithiophilic.structures.li_layers import add_li_layers

# hand numbers: slab -100 eV, slab+Li -102.5 eV, bcc Li -1.9 eV/atom, Li atom -0.3 eV
E_SLAB, E_SLAB_LI, E_BCC, E_ATOM = -100.0, -102.5, -1.9, -0.3


def test_definition_states_conventions():
    for text in (
        "E_ads = E(slab+Li) - E(slab) - E_Li^ref",
        "negative = favourable",
        "E_b = -E_ads",
        "spin-polarised",
        "bcc Li metal",
        "cohesive energy",
        "E_b(n) = -[E(n) - E(n-1) - N_layer*eps_Li(bcc)]/N_layer",
        "E_b,avg(n) = -[E(n) - E(0) - n*N_layer*eps_Li(bcc)]/(n*N_layer)",
    ):
        assert text in BINDING_DEFINITION


def test_adsorption_and_binding_energy():
    assert adsorption_energy_ev(E_SLAB_LI, E_SLAB, E_BCC) == pytest.approx(-0.6)
    assert binding_energy_ev(E_SLAB_LI, E_SLAB, E_BCC) == pytest.approx(0.6)
    assert adsorption_energy_ev(E_SLAB_LI, E_SLAB, E_ATOM) == pytest.approx(-2.2)
    assert binding_energy_ev(E_SLAB_LI, E_SLAB, E_ATOM) == pytest.approx(2.2)


def test_references_differ_by_cohesive_energy():
    e_coh = li_cohesive_energy_ev(E_ATOM, E_BCC)
    assert e_coh == pytest.approx(1.6)
    eb_atom = binding_energy_ev(E_SLAB_LI, E_SLAB, E_ATOM)
    eb_bcc = binding_energy_ev(E_SLAB_LI, E_SLAB, E_BCC)
    assert eb_atom - eb_bcc == pytest.approx(e_coh)


def test_cohesive_energy_sign_error():
    with pytest.raises(AnalysisError, match=r"cohesive energy .* is not positive"):
        li_cohesive_energy_ev(-2.0, -1.9)


def test_non_finite_energy():
    with pytest.raises(AnalysisError, match="e_slab_ev=nan is not a finite energy"):
        adsorption_energy_ev(-1.0, float("nan"), -1.9)


# E(0..3), 2 Li per layer, eps_bcc = -2: increments 0.5, 0.25, -0.1 eV/Li
LAYERS_E = [-50.0, -50.0 - 2 * 2.5, -50.0 - 5.0 - 2 * 2.25, -50.0 - 5.0 - 4.5 - 2 * 1.9]


def test_incremental_binding_hand_numbers():
    inc = incremental_binding_energies_ev(LAYERS_E, 2, -2.0)
    assert inc == pytest.approx([0.5, 0.25, -0.1])


def test_average_binding_and_telescoping_sum():
    inc = incremental_binding_energies_ev(LAYERS_E, 2, -2.0)
    avg = average_binding_energies_ev(LAYERS_E, 2, -2.0)
    assert avg == pytest.approx([0.5, 0.375, 0.65 / 3])
    # n * N_layer * E_b,avg(n) == N_layer * sum of increments == -(E(n) - E(0) - n N eps)
    for n in range(1, 4):
        total = -(LAYERS_E[n] - LAYERS_E[0] - n * 2 * (-2.0))
        assert n * 2 * avg[n - 1] == pytest.approx(2 * sum(inc[:n]))
        assert 2 * sum(inc[:n]) == pytest.approx(total)
    assert avg == pytest.approx(np.cumsum(inc) / np.arange(1, 4))


@pytest.mark.parametrize("func", [incremental_binding_energies_ev, average_binding_energies_ev])
def test_layer_errors(func):
    with pytest.raises(AnalysisError, match="n_li_per_layer=0 must be a positive integer"):
        func(LAYERS_E, 0, -2.0)
    with pytest.raises(AnalysisError, match="n_li_per_layer=-3 must be a positive integer"):
        func(LAYERS_E, -3, -2.0)
    with pytest.raises(AnalysisError, match=r"n_li_per_layer=1\.5 must be a positive integer"):
        func(LAYERS_E, 1.5, -2.0)
    with pytest.raises(AnalysisError, match="energies_ev has 1 value"):
        func([-50.0], 2, -2.0)
    with pytest.raises(AnalysisError, match="non-finite"):
        func([-50.0, float("inf")], 2, -2.0)
    with pytest.raises(AnalysisError, match="e_li_bcc_per_atom_ev=nan"):
        func(LAYERS_E, 2, float("nan"))


# --------------------------------------------------------------------------- sites

SITE_ROWS = [
    {
        "site_label": "ontop-0",
        "site_kind": "ontop",
        "energy_ev": -102.1,
        "moved": True,
        "final_site_kind": "fcc",
    },
    {
        "site_label": "bridge-0",
        "site_kind": "bridge",
        "energy_ev": -102.4,
        "moved": True,
        "final_site_kind": "fcc",
    },
    {
        "site_label": "fcc-0",
        "site_kind": "fcc",
        "energy_ev": -102.5,
        "moved": False,
        "final_site_kind": "fcc",
    },
    {
        "site_label": "hcp-0",
        "site_kind": "hcp",
        "energy_ev": -102.45,
        "moved": False,
        "final_site_kind": "hcp",
    },
]


def test_summarize_sites():
    s = summarize_sites(SITE_ROWS, e_slab_ev=E_SLAB, e_li_ref_ev=E_BCC)
    assert s["lowest_site_label"] == "fcc-0"
    assert s["lowest_site_kind"] == "fcc"
    assert s["lowest_energy_ev"] == pytest.approx(-102.5)
    assert s["spread_ev"] == pytest.approx(0.4)
    assert s["n_sites"] == 4
    assert s["counts"] == {"ontop": 1, "bridge": 1, "fcc": 1, "hcp": 1}
    assert s["final_counts"] == {"fcc": 3, "hcp": 1}
    assert s["n_moved"] == 2
    assert s["binding_energy_ev"] == pytest.approx(0.6)
    assert s["binding_energies_ev"]["ontop-0"] == pytest.approx(0.2)
    eb = s["binding_energies_ev"].values()
    assert max(eb) - min(eb) == pytest.approx(s["spread_ev"])
    assert s["energy_above_lowest_ev"]["hcp-0"] == pytest.approx(0.05)


def test_summarize_sites_without_references():
    s = summarize_sites([{"site_label": "a", "site_kind": "ontop", "energy_ev": -1.0}])
    assert "binding_energy_ev" not in s
    assert s["spread_ev"] == 0.0


def test_summarize_sites_errors():
    with pytest.raises(AnalysisError, match="rows is empty"):
        summarize_sites([])
    with pytest.raises(AnalysisError, match=r"rows\[0\] lacks \['energy_ev'\]"):
        summarize_sites([{"site_label": "a", "site_kind": "ontop"}])
    with pytest.raises(AnalysisError, match="give both e_slab_ev and e_li_ref_ev"):
        summarize_sites(SITE_ROWS, e_slab_ev=-100.0)
    with pytest.raises(AnalysisError, match="is not a finite energy"):
        summarize_sites([{"site_label": "a", "site_kind": "ontop", "energy_ev": float("nan")}])


# --------------------------------------------------------------------------- plots


def _plot_rows():
    rows = []
    for material, shift in (("Cu", 0.0), ("Cu0.64Zn0.36", 0.2), ("Cu5Zn8", -0.1)):
        for miller, facet_shift in (((1, 1, 1), 0.1), ((1, 0, 0), 0.0)):
            for site, site_shift in (("ontop-0", -0.3), ("fcc-0", 0.0), ("hcp-0", -0.02)):
                eb = 0.5 + shift + facet_shift + site_shift
                rows.append(
                    {
                        "material": material,
                        "miller": miller,
                        "site_label": site,
                        "binding_energy_bcc_ev": eb,
                        "binding_energy_atom_ev": eb + 1.6,
                    }
                )
    return rows


@pytest.mark.parametrize("reference", ["bcc", "atom", "both"])
def test_plot_site_binding(tmp_path, reference):
    path = plot_site_binding(_plot_rows(), tmp_path / f"sites_{reference}.png", reference=reference)
    assert path.exists()
    assert path.stat().st_size > 5000


def test_plot_site_binding_errors(tmp_path):
    with pytest.raises(AnalysisError, match="reference='metal' is unknown"):
        plot_site_binding(_plot_rows(), tmp_path / "x.png", reference="metal")  # type: ignore[arg-type]
    with pytest.raises(AnalysisError, match="no finite"):
        plot_site_binding([{"material": "Cu", "miller": (1, 1, 1)}], tmp_path / "x.png")


def test_plot_layer_binding(tmp_path):
    data = {}
    for label, scale in (("Cu(111)", 1.0), ("Cu0.64Zn0.36(111)", 0.7), ("Cu5Zn8(111)", 0.8)):
        inc = [scale * v for v in (0.4, 0.1, 0.05, 0.02, 0.01)]
        data[label] = {
            "incremental_binding_energy_ev": inc,
            "average_binding_energy_ev": list(np.cumsum(inc) / np.arange(1, 6)),
        }
    path = plot_layer_binding(data, tmp_path / "layers.png")
    assert path.stat().st_size > 5000


def test_plot_layer_binding_errors(tmp_path):
    with pytest.raises(AnalysisError, match="data is empty"):
        plot_layer_binding({}, tmp_path / "x.png")
    with pytest.raises(AnalysisError, match=r"data\['Cu'\] has no incremental"):
        plot_layer_binding({"Cu": {"average_binding_energy_ev": [0.1]}}, tmp_path / "x.png")


def test_plot_multilayer_structures(tmp_path):
    cu = make_slabs(make_bulk("Cu"), (1, 1, 1), n_layers=4, supercell=(3, 3))[0]
    wide = make_slabs(make_bulk("Cu", a_a=3.69), (1, 1, 1), n_layers=4, supercell=(3, 3))[0]
    zn = wide.copy()
    symbols = zn.get_chemical_symbols()
    for i in range(0, len(zn), 3):
        symbols[i] = "Zn"
    zn.set_chemical_symbols(symbols)
    structures = {"Cu(111)": add_li_layers(cu, 5), "Cu0.64Zn0.36(111)": add_li_layers(zn, 5)}
    path = plot_multilayer_structures(structures, tmp_path / "multilayer.png")
    assert path.stat().st_size > 5000
    with pytest.raises(AnalysisError, match="structures is empty"):
        plot_multilayer_structures({}, tmp_path / "x.png")
