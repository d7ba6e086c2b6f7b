from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from jobflow import run_locally
from pymatgen.core import Structure

from lithiophilic.db import get_output_dict
from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec
from lithiophilic.workflows.binding import LiSiteBindingMaker
from lithiophilic.workflows.surface import SurfaceEnergyMaker


def test_bad_inputs():
    with pytest.raises(ConfigurationError, match="min_li_distance_a"):
        LiSiteBindingMaker(min_li_distance_a=3.0)
    with pytest.raises(ConfigurationError, match="not valid for element"):
        LiSiteBindingMaker().with_calculator(CalculatorSpec("emt")).make("Cu", [1, 1, 1])
    with pytest.raises(ConfigurationError, match="miller"):
        LiSiteBindingMaker().make("Cu", [0, 0, 0])


@pytest.mark.mlip
def test_sevenn_li_on_cu111(in_tmp, embedded_store):
    """SevenNet-0: Li prefers a hollow over top on Cu(111); the two references differ by E_coh."""
    surface = SurfaceEnergyMaker(millers=[[1, 1, 1]], n_layers=4, n_fixed_layers=2)
    # the surface-energy flow relaxes the clean slab first; the binding flow must reuse it
    sflow = surface.make("Cu")
    run_locally(sflow, store=embedded_store, ensure_success=True)
    flow = LiSiteBindingMaker(surface_maker=surface).make("Cu", [1, 1, 1])
    run_locally(flow, store=embedded_store, ensure_success=True)
    out = get_output_dict(embedded_store, flow.output.uuid)
    rows = {r["site_kind"]: r for r in out["rows"]}
    assert set(rows) == {"ontop", "bridge", "fcc", "hcp"}
    assert out["lowest_final_site_kind"] in ("fcc", "hcp")
    assert rows["fcc"]["binding_energy_bcc_ev"] > rows["ontop"]["binding_energy_bcc_ev"]
    for r in out["rows"]:
        assert r["binding_energy_atom_ev"] - r["binding_energy_bcc_ev"] == pytest.approx(
            out["cohesive_energy_ev"], abs=1e-9
        )
    assert 1.0 < out["cohesive_energy_ev"] < 2.0  # exp. 1.63 eV
    assert out["atom_reference_reliable"] is False
    # clean 1x1 slab relaxation reused from the surface-energy flow
    relaxes = [
        d["output"]
        for d in embedded_store.query(
            {"output.doc_type": "ase_calc", "output.task": "relax", "output.n_atoms": 4}
        )
    ]
    assert len(relaxes) == 2
    assert sum(r["reused_from_uuid"] is not None for r in relaxes) == 1
    sites = [d["output"] for d in embedded_store.query({"output.doc_type": "li_site"})]
    assert all(s["supercell"] == [3, 3] and s["li_image_distance_a"] >= 7.0 for s in sites)
    # where the Li ended up: on flat Cu(111) every Li stays adsorbed, 1-3 neighbours at 1.2 x
    # (r_Li + r_Cu) = 3.12 A, about 2 A above the local surface, substrate back to the clean slab
    by_kind = {s["site_kind"]: s for s in sites}
    assert all(s["outcome"] == "adsorbed" for s in sites)
    assert by_kind["ontop"]["coordination_number"] in (1, 3)  # on-site, or slid to a hollow
    hollow = by_kind["fcc"]
    assert hollow["coordination_number"] == 3
    assert 1.5 < hollow["local_height_a"] < 2.6
    for s in sites:
        assert abs(s["substrate_change_ev"]) < 0.05
        assert s["substrate_converged"] is True
        assert abs(sum(x * x for x in s["start_displacement_a"]) ** 0.5 - 0.03) < 1e-9
    assert out["n_by_outcome"] == {"adsorbed": 4, "incorporated": 0, "reconstructed": 0}
    assert out["lowest_outcome"] == "adsorbed" and out["strongest_incorporated"] is None


def test_multilayer_bad_inputs():
    from lithiophilic.workflows.binding import LiMultilayerMaker

    with pytest.raises(ConfigurationError, match="max_layers"):
        LiMultilayerMaker(max_layers=11)
    with pytest.raises(ConfigurationError, match="max_layers"):
        LiMultilayerMaker(max_layers=0)
    with pytest.raises(ConfigurationError, match="construction"):
        LiMultilayerMaker(construction="random")
    with pytest.raises(ConfigurationError, match=r"\(111\) facet"):
        LiMultilayerMaker(construction="pseudomorphic").make("Cu", [1, 0, 0])
    for bad in (0.0, 0.5, float("nan")):
        with pytest.raises(ConfigurationError, match="max_strain"):
            LiMultilayerMaker(max_strain=bad)
        with pytest.raises(ConfigurationError, match="complex_max_strain"):
            LiMultilayerMaker(complex_max_strain=bad)
    with pytest.raises(ConfigurationError, match="growth: 'random' is not one of"):
        LiMultilayerMaker(growth="random")  # type: ignore[arg-type]


def test_complex_max_strain_applies_to_gamma_brass_only():
    """γ-brass layers are built at complex_max_strain; fcc substrates keep max_strain."""
    from lithiophilic.workflows.binding import LiMultilayerMaker

    maker = LiMultilayerMaker(max_strain=0.05, complex_max_strain=0.08)
    used = {}
    for material in ("Cu", "Cu5Zn8", "Cu0.64Zn0.36"):
        fan = maker.make(material, [1, 1, 1]).jobs[-1]  # make_layer_jobs(maker, ...)
        used[material] = fan.function_args[0].max_strain
    assert used == {"Cu": 0.05, "Cu5Zn8": 0.08, "Cu0.64Zn0.36": 0.05}


@pytest.mark.mlip
def test_bcc110_layer_strain_is_recorded(in_tmp, memory_jobstore):
    """The Li(110) layer's strain and the max_strain it was built at are in the document."""
    from lithiophilic.workflows.binding import LiMultilayerMaker

    surface = SurfaceEnergyMaker(millers=[[1, 1, 1]], n_layers=4, n_fixed_layers=2)
    maker = LiMultilayerMaker(
        site_maker=LiSiteBindingMaker(surface_maker=surface), max_layers=1, max_strain=0.06
    )
    flow = maker.make("Cu", [1, 1, 1])
    run_locally(flow, store=memory_jobstore, ensure_success=True)
    out = get_output_dict(memory_jobstore, flow.output.uuid)
    strain = out["li_layer_strain"]
    assert strain["max_strain_allowed"] == 0.06
    assert len(strain["principal"]) == 2
    assert max(abs(x) for x in strain["principal"]) == pytest.approx(strain["max_abs"])
    assert strain["max_abs"] <= 0.06
    e1, e2 = strain["principal"]
    assert strain["areal"] == pytest.approx((1 + e1) * (1 + e2) - 1, abs=1e-3)


@pytest.mark.mlip
def test_sevenn_li_layers_on_cu111(in_tmp, memory_jobstore):
    """SevenNet-0: 3 pseudomorphic Li layers on Cu(111); increments sum to the total."""
    from lithiophilic.workflows.binding import LiMultilayerMaker

    surface = SurfaceEnergyMaker(millers=[[1, 1, 1]], n_layers=4, n_fixed_layers=2)
    maker = LiMultilayerMaker(
        site_maker=LiSiteBindingMaker(surface_maker=surface),
        max_layers=3,
        construction="pseudomorphic",
    )
    flow = maker.make("Cu", [1, 1, 1])
    run_locally(flow, store=memory_jobstore, ensure_success=True)
    out = get_output_dict(memory_jobstore, flow.output.uuid)
    assert out["li_per_layer"] == 1
    assert out["n_layers"] == [0, 1, 2, 3]
    inc, avg = out["incremental_binding_energy_ev"], out["average_binding_energy_ev"]
    e, n1, eps = out["energies_ev"], out["li_per_layer"], out["bcc_energy_per_atom_ev"]
    total = -(e[3] - e[0] - 3 * n1 * eps) / n1
    assert sum(inc) == pytest.approx(total, abs=1e-9)
    assert avg[2] == pytest.approx(total / 3, abs=1e-9)
    assert inc[0] > 0  # the first Li layer binds to Cu more strongly than Li to bcc Li
    assert -0.2 < out["lattice_mismatch"] < -0.08  # Cu nn 2.57 A vs bcc-Li nn ~2.98 A
    assert all(out["converged"])
    assert len(out["distortion"]) == 3
    assert out["li_layer_strain"] is None  # one Li per hollow: no bcc Li(110) lattice
    # sequential growth (default): layer n started on the relaxed n-1 film
    assert out["growth"] == "sequential"
    relaxed = {
        d["output"]["label"]: d["output"]["structure"]
        for d in memory_jobstore.query({"name": {"$regex": "^Li layers relax"}})
    }
    grown = [d["output"] for d in memory_jobstore.query({"name": {"$regex": "^grow Li layer"}})]
    assert len(grown) == 2  # n = 2, 3
    for g in grown:
        start = Structure.from_dict(g)
        n = start.composition["Li"]
        below = Structure.from_dict(relaxed[f"Cu (111) {n - 1:.0f} Li layers"])
        assert np.allclose(start.cart_coords[: len(below)], below.cart_coords, atol=1e-6)
    # the same series relaxed independently from ideal layers lands in the same minima
    indep = replace(maker, growth="independent").make("Cu", [1, 1, 1])
    run_locally(indep, store=memory_jobstore, ensure_success=True)
    out_i = get_output_dict(memory_jobstore, indep.output.uuid)
    assert out_i["growth"] == "independent"
    assert out_i["energies_ev"][:2] == pytest.approx(out["energies_ev"][:2], abs=1e-6)
    assert out_i["incremental_binding_energy_ev"] == pytest.approx(inc, abs=0.02)


def test_pseudomorphic_layers_need_fcc():
    from lithiophilic.workflows.binding import LiMultilayerMaker

    with pytest.raises(ConfigurationError, match="needs an fcc substrate"):
        LiMultilayerMaker(construction="pseudomorphic").make("Cu5Zn8", [1, 1, 1])
    assert LiMultilayerMaker().make("Cu5Zn8", [1, 1, 1]).jobs


@pytest.mark.mlip
@pytest.mark.slow
def test_prescreen_refines_top_sites_with_second_calculator(in_tmp, memory_jobstore):
    """Prescreen mode: SevenNet-0 ranks the sites, CHGNet (standing in for DFT) refines them."""
    surface = SurfaceEnergyMaker(millers=[[1, 1, 1]], n_layers=3, n_fixed_layers=1)
    maker = LiSiteBindingMaker(
        surface_maker=surface,
        max_sites=3,
        refine_calculator=CalculatorSpec("chgnet"),
        refine_top_k=1,
        refine_all=True,
    )
    flow = maker.make("Cu", [1, 1, 1])
    run_locally(flow, store=memory_jobstore, ensure_success=True)
    screen = get_output_dict(memory_jobstore, flow.output.uuid)
    doc = next(memory_jobstore.query({"output.doc_type": "li_prescreen"}))["output"]
    assert doc["screen_calculator_name"] == "sevenn"
    assert doc["calculator_name"] == "chgnet"
    assert doc["top_k_labels"] == doc["screened_order"][:1]
    assert doc["screened_order"][0] == screen["lowest_site_label"]
    # every valid screened site was refined, so the verification answer is known
    assert sorted(doc["refined_sites"]) == sorted(doc["screened_order"])
    assert isinstance(doc["refined_lowest_in_top_k"], bool)
    assert doc["refined_lowest_in_top_k"] == (doc["refined_lowest_label"] in doc["top_k_labels"])
    for row in doc["rows"]:
        # refined numbers are CHGNet's, not copies of the screen's
        assert row["refined_binding_energy_bcc_ev"] != pytest.approx(
            row["screen_binding_energy_bcc_ev"], abs=1e-6
        )
    refined_sites = [
        d["output"]
        for d in memory_jobstore.query(
            {"output.doc_type": "li_site", "output.calculator_name": "chgnet"}
        )
    ]
    assert len(refined_sites) == len(doc["refined_sites"])


def test_prescreen_bad_top_k():
    with pytest.raises(ConfigurationError, match="refine_top_k"):
        LiSiteBindingMaker(refine_calculator=CalculatorSpec("chgnet"), refine_top_k=0)


def test_multilayer_refuses_mixed_calculators():
    from lithiophilic.workflows.binding import LiMultilayerMaker

    sites = LiSiteBindingMaker().with_calculator(CalculatorSpec("chgnet"))
    with pytest.raises(ConfigurationError, match="cannot be combined"):
        LiMultilayerMaker(site_maker=sites).make("Cu", [1, 1, 1])
    LiMultilayerMaker(site_maker=sites).with_calculator(CalculatorSpec("chgnet")).make("Cu")


def test_makers_take_a_bulk_structure_like_a_name():
    """A bulk Structure labelled like a catalogue material gives the same jobs and inputs."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from lithiophilic.structures import make_bulk
    from lithiophilic.workflows.binding import LiMultilayerMaker

    struct = AseAtomsAdaptor.get_structure(make_bulk("Cu"))
    struct.properties = {}
    named = LiSiteBindingMaker().make("Cu", [1, 1, 1])
    given = LiSiteBindingMaker().make(struct, [1, 1, 1], name="Cu")
    assert [j.name for j in given.jobs] == [j.name for j in named.jobs]
    assert given.jobs[0].function_args[0] == named.jobs[0].function_args[0]  # the bulk
    assert given.jobs[-1].function_args[1] == "Cu"  # make_site_jobs(maker, material, ...)
    unnamed = LiMultilayerMaker().make(struct)  # labelled by its formula
    assert unnamed.name == "Li multilayer Cu (111)"


def test_pseudomorphic_layers_refuse_a_bcc_structure():
    from ase.build import bulk
    from pymatgen.io.ase import AseAtomsAdaptor

    from lithiophilic.workflows.binding import LiMultilayerMaker, has_fcc_111

    fe = AseAtomsAdaptor.get_structure(bulk("Ag", "bcc", a=3.3))
    assert not has_fcc_111(fe)
    with pytest.raises(ConfigurationError, match="needs an fcc substrate; Ag is not an fcc"):
        LiMultilayerMaker(construction="pseudomorphic").make(fe)
    assert LiMultilayerMaker().make(fe).jobs


def _gamma_row(termination, at_min, at_max):
    return {
        "material": "Cu5Zn8",
        "miller": [1, 1, 1],
        "termination": termination,
        "n_atoms": 104,
        "converged": True,
        "gamma_relaxed_j_per_m2": (at_min + at_max) / 2,
        "gamma_relaxed_at_delta_mu_min_j_per_m2": at_min,
        "gamma_relaxed_at_delta_mu_max_j_per_m2": at_max,
    }


def test_lowest_gamma_picks_the_cu_rich_edge_and_both_if_it_changes():
    from lithiophilic.analysis.li_outcome import CHOICE_MAX_EDGE, CHOICE_MIN_EDGE
    from lithiophilic.workflows.binding import lowest_gamma_picks

    steady = [_gamma_row(0, 0.9, 0.95), _gamma_row(1, 1.0, 1.1)]
    assert lowest_gamma_picks(steady, "Cu5Zn8", [1, 1, 1]) == [(0, CHOICE_MIN_EDGE)]
    crossing = [_gamma_row(0, 1.0, 0.8), _gamma_row(1, 0.9, 1.2)]
    assert lowest_gamma_picks(crossing, "Cu5Zn8", [1, 1, 1]) == [
        (1, CHOICE_MIN_EDGE),
        (0, CHOICE_MAX_EDGE),
    ]


def test_lowest_gamma_flow_contains_the_surface_flow_for_complex_structures():
    maker = LiSiteBindingMaker(termination="lowest_gamma")
    names = [j.name for j in maker.make("Cu5Zn8", [1, 1, 1]).jobs]
    assert any(n.startswith("sites_on_lowest_gamma") for n in names)
    assert not any(n.startswith("cut_first_slab") for n in names)  # cut once γ is known
    simple = [j.name for j in maker.make("Cu", [1, 1, 1]).jobs]
    assert any(n.startswith("cut_first_slab") for n in simple)
    with pytest.raises(ConfigurationError, match="termination"):
        LiSiteBindingMaker(termination="highest")
    with pytest.raises(ConfigurationError, match="start_displacement_a"):
        LiSiteBindingMaker(start_displacement_a=1.0)
    with pytest.raises(ConfigurationError, match="outcome_settings"):
        LiSiteBindingMaker(outcome_settings={"radius": 1.2})
