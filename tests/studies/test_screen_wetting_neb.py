"""The screen's wetting and mobility descriptors (issue 20): flows, bad input, collect, signs."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lithiophilic.cli import app
from lithiophilic.errors import ConfigurationError
from lithiophilic.studies import screen, screen_wetting_neb

runner = CliRunner()


def test_quick_and_default_settings():
    quick = screen.Options.quick(skins=["Cu"], facet=[1, 1, 1])
    full = screen.Options(skins=["Cu"], facet=[1, 1, 1])
    assert screen_wetting_neb.wetting_layers(quick) == 3
    assert screen_wetting_neb.wetting_layers(full) == 4
    assert screen_wetting_neb.neb_settings(quick) == {
        "n_images": 3,
        "climb": False,
        "fmax_ev_per_a": 0.1,
    }
    assert screen_wetting_neb.neb_settings(full)["climb"] is True
    assert screen_wetting_neb.neb_settings(full)["n_images"] == 5


def test_flows_wetting_per_skin_and_neb_inside_the_adsorption_flow():
    options = screen.Options.quick(skins=["Cu"], facet=[1, 1, 1])
    flows = screen.build_flows(options)
    assert "Cu wetting" in flows
    names = [j.name for j in flows["Cu adsorption"].jobs]
    assert "Li hop Cu 111" in names  # reads the 5c summary of the same flow


def test_default_bound_not_met_leaves_the_skin_without_wetting_and_says_why(memory_jobstore):
    # hcp Zn(0001) has no Li(110) coincidence cell within the default 5 % (best 5.8 %)
    options = screen.Options(skins=["Zn"], facet=[1, 1, 1])
    flows = screen.build_flows(options)
    assert "Zn wetting" not in flows and "Zn first layer" not in flows
    result = screen.collect(memory_jobstore, options)
    why = result.reasons["Zn"]["adhesion_energy_j_per_m2"]
    assert "no wetting flow" in why and "wetting_max_strain" in why
    assert "within 5.0 %: best 5.8 %" in why


def test_first_layer_without_a_cell_is_not_built_and_the_skin_is_unranked_with_the_reason(
    memory_jobstore,
):
    # E_b(1) needs the same Li(110) coincidence cell: default Zn(0001) has none within 5 %
    # (best 5.8 %), so the first-layer job is not built (it would fail at run time); E_b(1) is
    # required by screen-rule-1, so Zn is unranked with that reason (never a zero)
    options = screen.Options(skins=["Zn", "Cu"], facet=[1, 1, 1])
    flows = screen.build_flows(options)
    assert "Zn first layer" not in flows and "Cu first layer" in flows
    result = screen.collect(memory_jobstore, options)
    why = result.reasons["Zn"]["first_layer_binding_energy_ev"]
    assert why.startswith("no first layer flow: no coincidence cell within 5.0 %: best 5.8 %")
    assert result.descriptors["Zn"]["first_layer_binding_energy_ev"] is None
    assert "Zn first layer" not in result.missing and "Cu first layer" in result.missing
    row = next(r for r in screen.table_rows(result) if r["skin"] == "Zn")
    assert row["rank"] is None and row["score_ev"] is None
    assert "best 5.8 %" in row["unranked_reason"]
    assert "best 5.8 %" in result.model_dump_json()
    # --quick allows 8 % on multi-atom cells: the first layer is built (7.0 %)
    quick = screen.build_flows(screen.Options.quick(skins=["Zn"], facet=[1, 1, 1]))
    assert "Zn first layer" in quick and "Zn wetting" in quick


def test_collect_in_a_fresh_process_states_the_no_cell_reasons():
    # the reasons are derived from the skin in collect (no build-time state): a process that
    # never built the flows (a collect after submit) gives the same text as build + collect
    import subprocess
    import sys

    assert not hasattr(screen_wetting_neb, "_NO_CELL")
    code = (
        "import json\n"
        "from jobflow import JobStore\n"
        "from maggma.stores import MemoryStore\n"
        "from lithiophilic.studies import screen\n"
        "store = JobStore(MemoryStore())\n"
        "store.connect()\n"
        "r = screen.collect(store, screen.Options(skins=['Zn'], facet=[1, 1, 1]))\n"
        "print(json.dumps(r.reasons['Zn']))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    import json

    fresh = json.loads(out.stdout.strip().splitlines()[-1])
    options = screen.Options(skins=["Zn"], facet=[1, 1, 1])
    screen.build_flows(options)
    from jobflow import JobStore
    from maggma.stores import MemoryStore

    store = JobStore(MemoryStore(), additional_stores={"data": MemoryStore()})
    store.connect()
    here = screen.collect(store, options).reasons["Zn"]
    for name in ("first_layer_binding_energy_ev", "adhesion_energy_j_per_m2"):
        assert fresh[name] == here[name]
        assert "no coincidence cell within 5.0 %: best 5.8 %" in fresh[name]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"wetting_max_strain": 0.7}, "wetting_max_strain"),
        ({"wetting_max_strain": 0.0}, "wetting_max_strain"),
        ({"wetting_layers": 0}, "wetting_layers"),
        ({"wetting_layers": 11}, "wetting_layers"),
        ({"neb_images": 0}, "neb_images"),
    ],
)
def test_bad_options_name_the_field(overrides, field):
    with pytest.raises(ConfigurationError, match=field):
        screen.Options(skins=["Cu"], **overrides)


def test_strain_bound_given_and_not_met_is_bad_input():
    options = screen.Options.quick(skins=["Cu"], facet=[1, 1, 1], wetting_max_strain=0.001)
    with pytest.raises(ConfigurationError, match="wetting_max_strain: Cu 111"):
        screen.build_flows(options)


def test_cli_strain_bound_not_met_exits_2_and_stores_nothing(tmp_path):
    data = tmp_path / "data"
    args = ["screen", "--skin", "Cu", "--facet", "111", "--quick"]
    res = runner.invoke(app, [*args, "--wetting-max-strain", "0.001", "--data-dir", str(data)])
    assert res.exit_code == 2, res.output
    assert "wetting_max_strain" in " ".join(res.output.split())
    if data.exists():
        from lithiophilic.db import get_store, list_results

        assert not list_results(get_store(data_dir=data))


def test_collect_on_an_empty_store_names_both_missing(memory_jobstore):
    result = screen.collect(memory_jobstore, screen.Options.quick(skins=["Cu"], facet=[1, 1, 1]))
    why = result.reasons["Cu"]
    assert why["adhesion_energy_j_per_m2"] == "wetting flow missing or failed"
    assert why["diffusion_barrier_ev"] == "NEB job missing or failed"
    (row,) = screen.table_rows(result)
    assert row["adhesion_energy_j_per_m2"] is None and row["diffusion_barrier_ev"] is None
    lines = screen_wetting_neb.detail_lines(result)
    assert any("diffusion_barrier_ev missing" in line for line in lines)


def _stored_hop_doc():
    """A LiHopDoc as the NEB job stores it (band in the data store); plumbing only."""
    from pymatgen.core import Lattice, Structure

    from lithiophilic.workflows.screen_neb import LiHopDoc

    band = [Structure(Lattice.cubic(3.0), ["Li"], [[0, 0, 0]])] * 3
    return LiHopDoc(
        material="Cu",
        miller=[1, 1, 1],
        initial_site_label="hcp-0",
        final_site_label="fcc-0",
        initial_site_kind="hcp",
        final_site_kind="fcc",
        hop_length_a=1.45,
        diffusion_barrier_ev=0.02,
        reverse_barrier_ev=0.019,
        profile_ev=[0.0, 0.02, 0.001],
        n_images=3,
        climb=False,
        fmax_ev_per_a=0.1,
        max_steps=300,
        converged=True,
        band=band,
        calculator_name="sevenn",
        calculator_version=None,
        calculator_model=None,
    )


def test_collect_reads_a_stored_hop_whose_band_is_in_the_data_store(memory_jobstore):
    from jobflow import Flow, job, run_locally

    from lithiophilic.workflows.screen_neb import LiHopDoc

    stored = job(_stored_hop_doc, output_schema=LiHopDoc, data=["band"])()
    run_locally(Flow([stored]), store=memory_jobstore, ensure_success=True, log=False)
    result = screen.collect(memory_jobstore, screen.Options.quick(skins=["Cu"], facet=[1, 1, 1]))
    assert result.descriptors["Cu"]["diffusion_barrier_ev"] == 0.02
    assert result.mobility["Cu"]["final_site_kind"] == "fcc"
    assert "diffusion_barrier_ev" not in result.reasons["Cu"]
    lines = screen_wetting_neb.detail_lines(result)
    assert any(line.startswith("Cu mobility: hcp-0 (hcp) -> fcc-0 (fcc)") for line in lines)
