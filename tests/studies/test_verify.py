"""DFT verification of the MLIP verdicts (issue 18 item 5): options, verdict logic, real GPAW runs.

The slow tests compute Cu(111) with SevenNet-0 (the surface and Li-site studies' quick
presets), then verify them with GPAW (``verify.Options.quick``: PBE, 300 eV plane waves,
2 k-points per Å⁻¹, 0.1 eV Fermi-Dirac smearing, SCF density tolerance 5e-4, single points on
the MLIP geometries, E_b on the slab reduced to its top Cu(111) plane: 9 Cu + Li).
"""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import add_adsorbate, fcc111
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic.analysis.claims import claims_5a
from lithiophilic.analysis.verify import (
    dft_binding_summaries,
    dft_gamma_rows,
    survives,
    verify_claims,
)
from lithiophilic.errors import ConfigurationError
from lithiophilic.studies import li_sites, surface, verify
from lithiophilic.studies.paper import PaperOptions, stage_options
from lithiophilic.workflows.verify import reduce_slab, standard_cell, verify_cost_s


def _struct(atoms):
    s = AseAtomsAdaptor.get_structure(atoms)
    s.properties = {}
    return s


# --------------------------------------------------------------------------- fast
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"reduced_depth_a": 0.0}, "reduced_depth_a"),
        ({"top_k": 0}, "top_k"),
        ({"dft": "nosuch"}, "dft: unknown name 'nosuch'"),
        ({"mlip_preset": "medium"}, "mlip_preset"),
        ({"sqs_samples": 0}, "sqs_samples"),
    ],
)
def test_bad_options_name_the_field(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        verify.Options(**kwargs)


def test_presets_and_paper_stage():
    q = verify.Options.quick()
    assert (q.top_k, q.reduced_depth_a, q.relax, q.mlip_preset) == (1, 0.5, False, "quick")
    assert q.dft_spec().kwargs == {**verify.QUICK_DFT, "nprocs": 1}
    f = verify.Options()
    assert (f.top_k, f.incorporated, f.gamma_millers) == (1, True, [[1, 1, 1], [1, 0, 0]])
    st = stage_options(PaperOptions.quick(stages=["binding", "verify"], materials=["Cu"]))
    (v,) = st["verify"]
    assert type(v).study == "verify" and v.mlip_preset == "quick" and v.calculator == "sevenn"


def test_verify_option_of_the_5a_and_5c_studies():
    s5a = surface.Options.quick(materials=["Cu"], millers=[[1, 0, 0]], calculator="emt")
    v = verify.Options.of_study(s5a)
    assert v.surface_options() == s5a and v.binding_millers == [] and v.calculator == "emt"
    s5c = li_sites.Options.quick(materials=["Cu"], max_sites=2)
    v = verify.Options.of_study(s5c, top_k=2)
    assert v.sites_options() == s5c and v.gamma_millers == [] and v.top_k == 2
    again = verify.Options(**v.model_dump(mode="json"))  # saved and loaded (stage process)
    assert again.sites_options().max_sites == 2


def test_reduced_slab_and_clean_slab_lose_the_same_atoms():
    clean = fcc111("Cu", size=(2, 2, 4), vacuum=7.5, a=3.61)
    with_li = clean.copy()
    add_adsorbate(with_li, "Li", 2.0, "fcc")
    red_li = reduce_slab(_struct(with_li), 2.5)
    red = reduce_slab(_struct(clean), 2.5)
    assert len(red_li) == len(red) + 1 == 2 * 4 + 1  # two planes of 4 Cu, plus the Li
    with pytest.raises(ConfigurationError, match="reduced_depth_a"):
        reduce_slab(_struct(clean), -1.0)


def test_standard_cell_keeps_the_energy_per_atom_cell():
    from ase.build import bulk

    odd = bulk("Cu", "fcc", a=3.6)
    odd.set_cell(odd.cell[[1, 0, 2]], scale_atoms=True)  # a permuted setting
    std = standard_cell(_struct(odd))
    assert len(std) == 1 and std.volume == pytest.approx(odd.get_volume(), rel=1e-6)


def test_survives_mapping():
    assert survives("disagree", "disagree") == "yes"
    assert survives("agree", "disagree") == "no"
    assert survives("agree", "inconclusive") == "inconclusive"
    assert survives("not run", "agree") == "not run"


def _gamma_row(material, facet, gamma):
    return {
        "material": material,
        "miller": facet,
        "termination": 0,
        "sqs_seed": None,
        "n_layers": 4,
        "gamma_relaxed_j_per_m2": gamma,
        "converged": True,
        "method": "stoichiometric",
    }


def test_gamma_verdict_flips_when_dft_reorders_the_materials():
    rows = [
        _gamma_row("Cu", [1, 1, 1], 1.30),
        _gamma_row("Cu5Zn8", [1, 1, 1], 1.10),
        _gamma_row("Cu0.64Zn0.36", [1, 1, 1], 0.90),
    ]
    checks = [
        {**_gamma_row("Cu", [1, 1, 1], None), "dft_gamma_sp_j_per_m2": 1.35},
        {**_gamma_row("Cu5Zn8", [1, 1, 1], None), "dft_gamma_sp_j_per_m2": 0.80},
        {**_gamma_row("Cu0.64Zn0.36", [1, 1, 1], None), "dft_gamma_sp_j_per_m2": 1.00},
    ]
    _, d_rows = dft_gamma_rows(rows, checks)
    assert [r["gamma_relaxed_j_per_m2"] for r in d_rows] == [1.35, 0.80, 1.00]
    (claim,) = verify_claims(
        surface_rows=rows, gamma_checks=checks, summaries=None, binding_checks=[]
    )
    assert claim.panel == "5a" and claim.verdict == "disagree"  # MLIP agrees, DFT disagrees
    assert "survives DFT: no" in claim.ours
    # each side's own reason (which rule decided, what flips it) is in the row
    (m5a,) = claims_5a({"rows": rows})[:1]
    (d5a,) = claims_5a({"rows": d_rows})[:1]
    assert f"MLIP: {m5a.reason}; DFT: {d5a.reason}" in claim.reason


def test_binding_summaries_take_the_dft_numbers_of_the_verified_sites_only():
    summary = {
        "material": "Cu",
        "miller": [1, 1, 1],
        "binding_energy_bcc_ev": 0.52,
        "rows": [
            {"site_label": "fcc-0", "binding_energy_bcc_ev": 0.52, "converged": True},
            {"site_label": "ontop-0", "binding_energy_bcc_ev": 0.45, "converged": True},
        ],
    }
    checks = [
        {"material": "Cu", "miller": [1, 1, 1], "site_label": "fcc-0", "dft_binding_sp_ev": 0.61}
    ]
    m, d = dft_binding_summaries([summary], checks)
    assert [r["site_label"] for r in d[0]["rows"]] == ["fcc-0"]
    assert d[0]["binding_energy_bcc_ev"] == 0.61 and m[0]["binding_energy_bcc_ev"] == 0.52


# --------------------------------------------------------------------------- slow: real GPAW
@pytest.fixture(scope="module")
def cu_mlip(tmp_path_factory):
    """Cu(111): the quick surface study and every Li site of the quick Li-site study (SevenNet-0)."""
    data = tmp_path_factory.mktemp("verify-data")
    s = surface.run(surface.Options.quick(materials=["Cu"], millers=[[1, 1, 1]]), data_dir=data)
    b = li_sites.run(li_sites.Options.quick(materials=["Cu"], millers=[[1, 1, 1]]), data_dir=data)
    assert not s.failed and not b.failed
    return data, b


@pytest.mark.slow
@pytest.mark.mlip
def test_quick_verify_of_cu111_then_resume(cu_mlip, monkeypatch):
    data, sites = cu_mlip
    # a subset first (γ only): then the full quick verify computes only the E_b jobs
    first = verify.run(verify.Options.quick(materials=["Cu"], binding_millers=[]), data_dir=data)
    assert not first.failed and len(first.gamma) == 1 and not first.binding
    g = first.gamma[0]
    # GPAW-PBE (300 eV, 2 k/Å⁻¹) on the SevenNet-0 geometry: Cu(111) ~1.3 J/m² (PBE literature 1.2-1.4)
    assert 1.0 < g["dft_gamma_sp_j_per_m2"] < 2.0
    # the MLIP single points reproduce the stored MLIP γ (same geometries and references)
    assert g["mlip_gamma_sp_j_per_m2"] == pytest.approx(g["mlip_gamma_j_per_m2"], abs=1e-3)
    assert not any(g["reused"].values())

    res = verify.run(verify.Options.quick(materials=["Cu"]), data_dir=data)
    assert not res.failed and not res.missing
    (again,) = res.gamma
    assert again["uuid"] == g["uuid"] or all(again["reused"].values())
    (b,) = res.binding
    strongest = max(
        (r for r in sites.site_rows if r["outcome"] == "adsorbed"),
        key=lambda r: r["binding_energy_bcc_ev"],
    )
    assert b["site_label"] == strongest["site_label"] and b["site_label"].startswith(("fcc", "hcp"))
    # Li binds to Cu(111) relative to bcc Li with DFT too (project convention: E_b > 0 = binding)
    assert 0.1 < b["dft_binding_sp_ev"] < 1.2
    assert b["mlip_binding_sp_full_ev"] == pytest.approx(b["mlip_binding_energy_bcc_ev"], abs=2e-3)
    # what keeping only the top plane changes, measured with the MLIP on the same site
    assert b["reduction_change_ev"] is not None and abs(b["reduction_change_ev"]) < 1.0
    assert b["n_atoms_used"] < b["n_atoms_full"]
    assert not b["reused"]["with_li"] and not b["reused"]["clean"]

    # a rerun of the complete run runs no job: the stored rows come back as they are
    (same,) = verify.run(verify.Options.quick(materials=["Cu"]), data_dir=data).binding
    assert same == b
    # without the complete-run record, it runs its jobs, and each comes from the database
    monkeypatch.setenv("LITHIOPHILIC_REUSE_COMPLETE_RUNS", "0")
    rerun = verify.run(verify.Options.quick(materials=["Cu"]), data_dir=data)
    (b2,) = rerun.binding
    assert all(b2["reused"].values()) and sum(b2["wall_time_s"].values()) == 0.0
    assert b2["dft_binding_sp_ev"] == pytest.approx(b["dft_binding_sp_ev"], abs=1e-9)
    # the cost stays the one of the run that computed them: a verify over several runs is
    # counted once, not as its last run's share
    assert b2["computed_wall_time_s"] == b["computed_wall_time_s"]
    assert b2["cache_keys"] == b["cache_keys"]
    cost, n = verify_cost_s([*rerun.gamma, *rerun.binding])
    assert (cost, n) == verify_cost_s([g, b]) and cost > 0.0

    rows = verify.table_rows(rerun)
    assert {r["quantity"] for r in rows} == {"γ, J/m²", "E_b vs bcc Li, eV"}
    # one material: the 5a/5c verdicts are "not run" for both, so nothing survives or fails
    assert all(c.verdict == "not run" for c in verify.claims(rerun))


def test_verify_cost_counts_each_calculation_once_where_it_was_computed():
    """A shared calculation (the bcc Li of every E_b) counts once; an old document (no
    computed_wall_time_s) contributes its own run's wall times."""
    b1 = {
        "wall_time_s": {"dft with_li": 0.0, "dft Li bcc relax": 0.0},
        "computed_wall_time_s": {"dft with_li": 100.0, "dft Li bcc relax": 13.0},
        "cache_keys": {"dft with_li": "a", "dft Li bcc relax": "li"},
    }
    b2 = {
        "wall_time_s": {"dft with_li": 50.0, "dft Li bcc relax": 0.0},
        "computed_wall_time_s": {"dft with_li": 50.0, "dft Li bcc relax": 13.0},
        "cache_keys": {"dft with_li": "b", "dft Li bcc relax": "li"},
    }
    old = {"wall_time_s": {"dft slab": 7.0, "dft bulk": 0.0}}
    assert verify_cost_s([b1, b2]) == (163.0, 3)
    assert verify_cost_s([b1, b2, old]) == (170.0, 5)


def test_verify_without_mlip_results_names_what_is_missing(tmp_path):
    """``verify`` before the MLIP stages: nothing computed, the reason and the gaps are named."""
    res = verify.run(verify.Options.quick(materials=["Cu"]), data_dir=tmp_path / "data")
    assert "run those stages first" in res.failed["verify"]
    assert "MLIP surface energy Cu (111)" in res.missing
    assert "MLIP Li sites Cu (111)" in res.missing
    assert not res.gamma and not res.binding


def test_paper_cli_verify_stage(tmp_path):
    """``lithiophilic paper --stage verify`` runs the stage in its own process and reports it."""
    from typer.testing import CliRunner

    from lithiophilic.cli import app

    out = tmp_path / "r"
    args = ["paper", "--quick", "--stage", "verify", "--material", "Cu", "--out", str(out)]
    res = CliRunner().invoke(app, [*args, "--data-dir", str(tmp_path / "data")])
    assert res.exit_code == 1, res.output  # nothing to verify yet: the stage fails, reported
    text = (out / "report.md").read_text()
    assert "### verify: DFT (GPAW) check" in text
    assert "run those stages first" in (out / "logs" / "verify.log").read_text()


def test_reduced_pair_keeps_the_same_substrate_when_the_li_rumples_the_top():
    """A Li that lifts one top atom above the rest (a rumpled alloy surface) moves the slab+Li's
    own topmost atom: cut at its own top, the slab+Li loses a plane the clean slab keeps. The pair
    cut keeps the same substrate atoms in both, and agrees with reduce_slab where that works."""
    from lithiophilic.workflows.verify import reduce_slab_pair

    clean = fcc111("Cu", size=(2, 2, 4), vacuum=7.5, a=3.61)
    with_li = clean.copy()
    add_adsorbate(with_li, "Li", 2.0, "fcc")
    z = with_li.positions[:, 2]
    top = int(np.argmax(np.where(with_li.numbers == 29, z, -np.inf)))
    with_li.positions[top, 2] += 0.6  # pulled out by the Li
    naive = reduce_slab(_struct(with_li), 2.5)
    assert len(naive) != len(reduce_slab(_struct(clean), 2.5)) + 1  # the old failure
    red_li, red = reduce_slab_pair(_struct(with_li), _struct(clean), 2.5)
    assert len(red_li) == len(red) + 1 == 9
    assert sorted(red_li.composition.as_dict().items()) == [("Cu", 8.0), ("Li", 1.0)]
    # the kept Cu are the matches of the kept clean Cu (the pulled-out atom among them)
    cu_z = [site.coords[2] for site in red_li if site.specie.symbol == "Cu"]
    assert max(cu_z) == pytest.approx(max(red.cart_coords[:, 2]) + 0.6)
    flat_li = clean.copy()
    add_adsorbate(flat_li, "Li", 2.0, "fcc")
    a, b = reduce_slab_pair(_struct(flat_li), _struct(clean), 2.5)
    assert a == reduce_slab(_struct(flat_li), 2.5) and b == reduce_slab(_struct(clean), 2.5)
