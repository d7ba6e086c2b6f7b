"""The skin screen (issue 20): facets per lattice, bad input, descriptor signs on known cases."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lithiophilic.cli import app
from lithiophilic.errors import ConfigurationError
from lithiophilic.studies import screen

runner = CliRunner()


def _db_has_results(data_dir):
    if not data_dir.exists():
        return False
    from lithiophilic.db import get_store, list_results

    return bool(list_results(get_store(data_dir=data_dir)))


@pytest.mark.parametrize(
    ("skin", "facet", "lattice"),
    [
        ("Cu", [1, 1, 1], "fcc"),
        ("Zn", [0, 0, 1], "hcp"),  # (0001)
        ("Mg", [0, 0, 1], "hcp"),
        ("Fe", [1, 1, 0], "bcc"),
        ("Sn", [1, 0, 0], "bct"),  # beta-Sn
        ("Cu5Zn8", [1, 1, 1], "gamma-brass"),
    ],
)
def test_facet_111_means_the_close_packed_facet_of_each_lattice(skin, facet, lattice):
    options = screen.Options.quick(skins=[skin], calculator="sevenn")
    assert screen.skin_facet(options, skin) == facet
    assert screen.skin_lattice(options, skin)[0] == lattice
    # any other facet is used as given
    assert screen.skin_facet(options.updated(facet=[1, 0, 0]), skin) == [1, 0, 0]


def test_quick_preset_and_flows_per_skin():
    options = screen.Options.quick(skins=["Cu", "Zn"], facet=[1, 1, 1])
    assert (options.preset, options.max_sites, options.dissolution_supercell) == ("quick", 4, 2)
    flows = screen.build_flows(options)
    assert sorted(flows) == [
        "Cu Li in bulk",
        "Cu Li incorporation",
        "Cu adsorption",
        "Cu first layer",
        "Cu in Li",
        "Cu wetting",
        "LiZn (Li compound)",
        "Zn Li in bulk",
        "Zn Li incorporation",
        "Zn adsorption",
        "Zn first layer",
        "Zn in Li",
        "Zn wetting",
    ]
    # each 5c flow carries the pair flow that reads its summary; on hcp Zn (2-atom cell) the
    # pair job cuts the termination the summary names (known only at run time)
    assert flows["Cu adsorption"].name == "Cu adsorption+pair"
    assert flows["Zn adsorption"].name == "Zn adsorption+pair"
    names = [j.name for j, _ in flows["Zn adsorption"].iterflow()]
    assert any(n.startswith("li_pair_on_5c_termination") for n in names), names
    # the 5c flow of a skin is the 5c study's flow on its facet (stored jobs reused)
    assert screen.sites_options(options, "Zn").millers == [[0, 0, 1]]
    assert screen.layers_options(options, "Zn").layers == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"skins": ["Unobtainium"]}, "skins"),
        ({"skins": []}, "skins"),
        ({"skins": ["Cu", "Cu"]}, "skins"),
        ({"skins": ["Cu"], "facet": [0, 0, 0]}, "facet"),
        ({"skins": ["Cu"], "facet": [7, 1, 1]}, "facet"),
        ({"skins": ["Cu"], "calculator": "emt"}, "calculator"),  # EMT has no Li
        ({"skins": ["Cu"], "calculator": "nosuch"}, "calculator"),
    ],
)
def test_bad_options_name_the_field(overrides, field):
    with pytest.raises(ConfigurationError, match=field):
        screen.Options(**overrides)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--skin", "Xx"], "skins"),
        (["--skin", "Cu", "--facet", "000"], "miller"),
        (["--skin", "Cu", "--facet", "711"], "facet"),
        (["--skin", "Ag", "--calculator", "emt"], "calculator"),
        (["--skin", "Cu", "--calculator", "nosuch"], "unknown name 'nosuch'"),
        ([], "skins"),
    ],
)
def test_cli_bad_input_exits_2_and_stores_nothing(tmp_path, args, match):
    data = tmp_path / "data"
    res = runner.invoke(app, ["screen", *args, "--quick", "--data-dir", str(data)])
    assert res.exit_code == 2, res.output
    assert match in " ".join(res.output.split())
    assert not _db_has_results(data)


def test_collect_on_an_empty_store_names_what_is_missing(memory_jobstore):
    options = screen.Options.quick(skins=["Cu"])
    result = screen.collect(memory_jobstore, options)
    assert "Cu first layer" in result.missing and "Cu in Li" in result.missing
    (row,) = screen.table_rows(result)
    assert row["rank"] is None and row["score_ev"] is None
    assert "adsorption_binding_energy_ev missing" in row["unranked_reason"]
    assert row["rule_version"] == result.rule_version


def test_figure_draws_every_descriptor_and_marks_missing(memory_jobstore, tmp_path):
    result = screen.collect(memory_jobstore, screen.Options.quick(skins=["Cu", "Ag"]))
    result.descriptors["Cu"]["adsorption_binding_energy_ev"] = 0.5  # plotted as given
    paths = screen.figures(result, tmp_path)
    assert paths["screen"].is_file() and paths["screen"].stat().st_size > 10_000


@pytest.mark.slow
@pytest.mark.mlip
def test_dissolution_sign_ag_dissolves_in_li_cu_does_not(memory_jobstore):
    """Known chemistry: Ag has a wide solubility in bcc Li, Cu is insoluble (no Li-Cu phases)."""
    from jobflow import run_locally

    from lithiophilic.potentials import CalculatorSpec
    from lithiophilic.workflows.screen import SkinDissolutionMaker

    maker = SkinDissolutionMaker(supercell=2).with_calculator(CalculatorSpec("sevenn"))
    energies = {}
    for element in ("Ag", "Cu"):
        flow = maker.make(element)
        run_locally(flow, store=memory_jobstore, ensure_success=True, log=False)
        doc = memory_jobstore.get_output(flow.output.uuid)
        assert doc["converged"] and doc["n_li_host"] == 16
        energies[element] = doc["dissolution_energy_ev"]
    print(energies)
    assert energies["Ag"] < 0.0 < energies["Cu"]
    with pytest.raises(ConfigurationError, match="element"):
        maker.make("Li")


@pytest.mark.slow
@pytest.mark.mlip
def test_quick_screen_of_cu_descriptor_signs(in_tmp):
    """SevenNet-0, quick Cu(111): the signs known for Li on Cu.

    Li on Cu binds more strongly than in bcc Li (E_b > 0, the 5c convention E_b = -E_ads), a
    first Li monolayer deposits at underpotential on Cu (E_b(1) > 0), Cu does not dissolve in
    Li (E_sol > 0), alkali adatoms repel at the nearest-neighbour distance (parallel dipoles:
    E_int > 0).
    """
    options = screen.Options.quick(skins=["Cu"], max_sites=2)
    from lithiophilic.db import get_store

    store = get_store(data_dir=in_tmp / "lithiophilic-data")
    result = screen.run(options, store=store, data_dir=in_tmp / "lithiophilic-data")
    assert not result.failed, result.failed
    d = result.descriptors["Cu"]
    print(d)
    assert d["adsorption_binding_energy_ev"] > 0.0
    assert d["first_layer_binding_energy_ev"] > 0.0
    assert d["skin_dissolution_energy_ev"] > 0.0
    assert d["pair_interaction_energy_ev"] > 0.0
    (row,) = screen.table_rows(result)
    assert row["rank"] == 1 and row["score_ev"] is not None
    # collect from the store alone (no run outputs) finds the same documents
    again = screen.collect(store, options)
    assert again.descriptors["Cu"] == d
