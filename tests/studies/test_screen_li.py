"""Screen (issue 20): lowest-γ default facet, Li incorporation and Li-skin alloying descriptors."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lithiophilic.cli import app
from lithiophilic.errors import ConfigurationError
from lithiophilic.studies import screen, screen_facet, screen_li

runner = CliRunner()

_LIAL_B32_CIF = """data_LiAl
_symmetry_space_group_name_H-M 'P 1'
_cell_length_a 4.504
_cell_length_b 4.504
_cell_length_c 4.504
_cell_angle_alpha 60
_cell_angle_beta 60
_cell_angle_gamma 60
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
Li1 Li 0.0 0.0 0.0 1
Li2 Li 0.25 0.25 0.25 1
Al1 Al 0.5 0.5 0.5 1
Al2 Al 0.75 0.75 0.75 1
"""


def test_default_facet_is_chosen_by_a_facet_stage_first():
    options = screen.Options.quick(skins=["Cu", "Zn", "Cu0.64Zn0.36"])
    assert options.facet is None
    # quick: the SQS skin has one candidate, (111), and needs no gamma
    assert screen_li.pending_facets(options) == ["Cu", "Zn"]
    flows = screen.build_flows(options)
    assert {"Cu facets", "Zn facets"} <= set(flows) and "Cu0.64Zn0.36 facets" not in flows
    assert "Cu0.64Zn0.36 adsorption" in flows and "Cu adsorption" not in flows
    choice = screen_li.facet_choices(options)["Cu0.64Zn0.36"]
    assert choice["chosen_by"] == "only candidate" and choice["facet"] == [1, 1, 1]
    # the stage computes gamma of the lattice's low-index candidates with the 5c slab settings
    sites = screen.sites_options(options, "Cu")
    surf = screen_facet.facet_surface_options(sites, [[1, 1, 1], [1, 0, 0], [1, 1, 0]])
    assert surf.millers == [[1, 1, 1], [1, 0, 0], [1, 1, 0]]
    assert (surf.n_layers, surf.slab_fmax_ev_per_a) == (sites.n_layers, sites.slab_fmax_ev_per_a)
    # a given facet skips the stage
    assert screen_li.pending_facets(options.updated(facet=[1, 0, 0])) == []


@pytest.mark.parametrize(
    ("lattice", "kind", "quick", "expected"),
    [
        ("fcc", "simple", True, [[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
        ("hcp", "complex", True, [[0, 0, 1], [1, 0, 0]]),
        ("bcc", "simple", False, [[1, 1, 0], [1, 0, 0]]),
        ("bct", "complex", False, [[1, 0, 0], [0, 0, 1], [1, 0, 1]]),
        ("fcc", "sqs", True, [[1, 1, 1]]),  # quick restricts SQS and gamma-brass
        ("fcc", "sqs", False, [[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
        ("gamma-brass", "complex", True, [[1, 1, 1]]),
        ("gamma-brass", "complex", False, [[1, 1, 1], [1, 0, 0]]),
    ],
)
def test_candidate_facets(lattice, kind, quick, expected):
    candidates, note = screen_facet.candidate_facets(lattice, kind, quick=quick)
    assert candidates == expected
    assert ("--quick" in note) == (quick and len(expected) == 1)


def test_facet_names_on_hcp():
    assert screen_facet.facet_name("hcp", [0, 0, 1]) == "(0001)"
    assert screen_facet.facet_name("hcp", [1, 0, 0]) == "(10-10)"
    assert screen_facet.facet_name("fcc", [1, 1, 0]) == "(110)"


def test_given_facet_is_reported_as_given():
    options = screen.Options.quick(skins=["Zn"], facet=[1, 1, 1])
    choice = screen_li.facet_choices(options)["Zn"]
    assert choice["facet_name"] == "(0001)" and choice["chosen_by"] == "given"
    assert "close-packed" in choice["reason"]


def test_li_compound_files_are_checked(tmp_path):
    good = tmp_path / "LiAl.cif"
    good.write_text(_LIAL_B32_CIF)
    options = screen.Options.quick(skins=["Al"], li_compounds=[str(good)])
    flows = screen.build_flows(options.updated(facet=[1, 1, 1]))
    assert "LiAl (Li compound)" in flows and "LiAl:LiAl (Li compound)" in flows
    with pytest.raises(ConfigurationError, match="li_compounds"):
        screen.Options.quick(skins=["Cu"], li_compounds=[str(good)])  # Al is no skin element
    with pytest.raises(ConfigurationError, match="li_compounds"):
        screen.Options.quick(skins=["Al"], li_compounds=[str(tmp_path / "missing.cif")])
    bad = tmp_path / "bad.cif"
    bad.write_text("not a cif")
    with pytest.raises(ConfigurationError, match="li_compounds"):
        screen.Options.quick(skins=["Al"], li_compounds=[str(bad)])


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--skin", "Cu", "--li-compound", "/nonexistent/LiCu.cif"], "li_compounds"),
        (["--skin", "Cu", "--facet", "000"], "miller"),
    ],
)
def test_cli_bad_li_input_exits_2(tmp_path, args, match):
    data = tmp_path / "data"
    res = runner.invoke(app, ["screen", *args, "--quick", "--data-dir", str(data)])
    assert res.exit_code == 2, res.output
    assert match in " ".join(res.output.split())
    assert not (data / "jobs").exists() or not any((data / "jobs").iterdir())


def test_collect_on_an_empty_store_gives_reasons(memory_jobstore):
    options = screen.Options.quick(skins=["Cu", "Zn"], facet=[1, 1, 1])
    result = screen.collect(memory_jobstore, options)
    for skin in ("Cu", "Zn"):
        for name in screen_li.LI_DESCRIPTORS:
            assert result.descriptors[skin][name] is None
            assert result.reasons[skin][name]
    assert (
        "Li and Cu form no compound" in result.reasons["Cu"]["li_alloy_formation_energy_per_li_ev"]
    )
    assert "missing" in result.reasons["Zn"]["li_alloy_formation_energy_per_li_ev"]
    row = next(r for r in screen.table_rows(result) if r["skin"] == "Cu")
    assert set(screen_li.LI_DESCRIPTORS) <= set(row)
    assert result.facet_choice["Zn"]["facet_name"] == "(0001)"


@pytest.mark.slow
@pytest.mark.mlip
def test_li_compound_formation_energies_are_negative(memory_jobstore):
    """Known: B32 LiAl and B2 LiAg are stable compounds (negative formation energy)."""
    from jobflow import run_locally

    from lithiophilic.potentials import CalculatorSpec
    from lithiophilic.workflows.li_alloys import LiCompoundMaker

    maker = LiCompoundMaker().with_calculator(CalculatorSpec("sevenn"))
    found = {}
    for name in ("LiAl", "LiAg"):
        flow = maker.make(name)
        run_locally(flow, store=memory_jobstore, ensure_success=True, log=False)
        doc = memory_jobstore.get_output(flow.output.uuid)
        assert doc["converged"]
        found[name] = doc["formation_energy_per_atom_ev"]
        assert doc["formation_energy_per_li_ev"] == pytest.approx(2 * found[name])
    print(found)
    assert found["LiAl"] < -0.05 and found["LiAg"] < -0.05


@pytest.mark.slow
@pytest.mark.mlip
def test_dilute_li_sign_in_bulk(memory_jobstore):
    """Known: Ag dissolves much Li (wide fcc Ag-Li solid solution); Ti and Li are immiscible."""
    from jobflow import run_locally

    from lithiophilic.potentials import CalculatorSpec
    from lithiophilic.workflows.screen_incorporation import LiBulkIncorporationMaker

    maker = LiBulkIncorporationMaker().with_calculator(CalculatorSpec("sevenn"))
    found = {}
    for element in ("Ag", "Ti"):
        flow = maker.make(element)
        run_locally(flow, store=memory_jobstore, ensure_success=True, log=False)
        doc = memory_jobstore.get_output(flow.output.uuid)
        assert doc["converged"] and doc["n_atoms_host"] >= 36
        found[element] = doc["substitution_bulk_energy_ev"]
    print(found)
    assert found["Ag"] < 0.0 < found["Ti"]


@pytest.mark.slow
@pytest.mark.mlip
def test_facet_choice_for_cu_is_111(in_tmp):
    """SevenNet-0, quick slabs: gamma(111) < gamma(100) < gamma(110) on fcc Cu."""
    from lithiophilic.db import get_store

    data = in_tmp / "lithiophilic-data"
    store = get_store(data_dir=data)
    options = screen.Options.quick(skins=["Cu"])
    flows = screen.build_flows(options)
    assert sorted(flows) == ["Cu facets"]
    from lithiophilic.studies.base import run_flows_locally

    assert not run_flows_locally(flows, store, data_dir=data)
    resolved = screen_li.resolve_facets(store, options)
    choice = resolved.facet_choice["Cu"]
    print(choice)
    assert choice["facet"] == [1, 1, 1] and choice["chosen_by"] == "lowest relaxed gamma"
    g = choice["candidates"]
    assert g["(111)"] < g["(100)"] < g["(110)"]
    assert screen.skin_facet(resolved, "Cu") == [1, 1, 1]
    # collect from the store alone chooses the same facet
    assert screen.collect(store, options).facet_choice["Cu"]["facet"] == [1, 1, 1]


def test_sn_without_a_catalogued_li_compound_says_so_in_reasons_json_and_report(memory_jobstore):
    # Li-Sn compounds exist, but no checked coordinates were available: Sn gets no alloying
    # value, and the reason names the missing prototype and --li-compound (never a zero)
    from lithiophilic.structures.li_compounds import NOT_CATALOGUED, li_compounds_of

    assert li_compounds_of(["Sn"]) == [] and "Sn" in NOT_CATALOGUED
    result = screen.collect(memory_jobstore, screen.Options.quick(skins=["Sn"], facet=[1, 1, 1]))
    name = "li_alloy_formation_energy_per_li_ev"
    assert result.descriptors["Sn"][name] is None
    why = result.reasons["Sn"][name]
    assert "no Li-Sn prototype catalogued" in why and "--li-compound" in why
    (entry,) = result.ranking
    assert entry["reasons"][name] == why  # in the JSON's "skins"
    assert f"Sn: {name} missing ({why})" in screen_li.reason_lines(result)
