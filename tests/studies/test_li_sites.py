"""The single-Li binding study (Fig. 5c): Options, flows, run/collect, figures, claims."""

from __future__ import annotations

import pytest
from ase.build import bulk
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.analysis.binding import BINDING_DEFINITION
from lithiophilic.errors import ConfigurationError
from lithiophilic.studies import li_sites, surface
from lithiophilic.workflows.binding import LiSiteBindingMaker
from lithiophilic.workflows.surface import SurfaceEnergyMaker


def _cu_structure():
    struct = AseAtomsAdaptor.get_structure(bulk("Cu", "fcc", a=3.61, cubic=True))
    struct.properties = {}
    return struct


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"li_fmax_ev_per_a": 0.0}, "li_fmax_ev_per_a: 0.0 eV/Å is outside the allowed range"),
        ({"li_fmax_ev_per_a": 0.6}, "li_fmax_ev_per_a: 0.6 eV/Å is outside"),
        ({"max_sites": 0}, "max_sites"),
        ({"refine_top_k": 0}, "refine_top_k"),
        ({"calculator": "nosuch"}, "calculator: unknown name 'nosuch'"),
        ({"refine_calculator": "nosuch"}, "refine_calculator: unknown name 'nosuch'"),
        ({"millers": [[0, 0, 0]]}, "millers"),
        ({"vacuum_a": 5.0}, "vacuum_a"),
        ({"n_layers": 3, "n_fixed_layers": 3}, "n_layers: 3 planes leave no free plane"),
        ({"materials": []}, "materials"),
        ({"layers": 2}, "layers: Extra inputs are not permitted"),
        ({"termination": "highest"}, "termination"),
        ({"termination": -1}, "termination"),
        ({"sqs_samples": 0}, "sqs_samples"),
        ({"start_displacement_a": 0.5}, "start_displacement_a"),
        ({"radius_factor": 2.0}, "radius_factor"),
        ({"reconstruction_threshold_ev": -0.1}, "reconstruction_threshold_ev"),
    ],
)
def test_bad_options_name_the_field(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        li_sites.Options(**kwargs)


def test_li_fmax_bounds_are_allowed():
    assert li_sites.Options(li_fmax_ev_per_a=0.001).li_fmax_ev_per_a == 0.001
    assert li_sites.Options(li_fmax_ev_per_a=0.5).li_fmax_ev_per_a == 0.5


def test_presets_use_the_surface_study_slabs():
    full = li_sites.Options()
    assert full.materials == list(defaults.PAPER_MATERIALS)
    assert full.millers == [[1, 1, 1]]
    assert full.li_fmax_ev_per_a == defaults.SLAB_FMAX_EV_PER_A
    slabs = surface.Options()
    assert {k: getattr(full, k) for k in li_sites.SLAB_FIELDS} == {
        k: getattr(slabs, k) for k in li_sites.SLAB_FIELDS
    }
    quick = li_sites.Options.quick()
    quick_slabs = surface.Options.quick()
    assert {k: getattr(quick, k) for k in li_sites.SLAB_FIELDS} == {
        k: getattr(quick_slabs, k) for k in li_sites.SLAB_FIELDS
    }
    assert quick.li_fmax_ev_per_a == defaults.QUICK_SLAB_FMAX_EV_PER_A
    assert li_sites.Options.quick(li_fmax_ev_per_a=0.02).li_fmax_ev_per_a == 0.02


def test_site_maker_is_the_pre_study_command_maker():
    """The Maker of binding --quick as the command built it before the study (same flows)."""
    from dataclasses import replace

    from lithiophilic.potentials import CalculatorSpec

    got = li_sites.site_maker(li_sites.Options.quick(max_sites=2))
    default = SurfaceEnergyMaker()
    slabs = SurfaceEnergyMaker(
        n_layers=4,
        min_thickness_a=6.0,
        n_fixed_layers=0,
        sqs_periods=1,
        slab_relax_maker=replace(
            default.slab_relax_maker, fmax_ev_per_a=defaults.QUICK_SLAB_FMAX_EV_PER_A
        ),
    )
    base = LiSiteBindingMaker(surface_maker=slabs, max_sites=2)
    base = replace(base, li_relax_maker=replace(base.li_relax_maker, fmax_ev_per_a=0.1))
    want = base.with_calculator(CalculatorSpec("sevenn"))
    assert got.li_relax_maker == want.li_relax_maker
    assert got.max_sites == want.max_sites
    assert got.refine_calculator is None
    for name in ("bulk_relax_maker", "slab_relax_maker", "n_layers", "min_thickness_a"):
        assert getattr(got.surface_maker, name) == getattr(want.surface_maker, name), name
    for name in ("vacuum_a", "n_fixed_layers", "fix", "sqs_periods", "sqs_seed", "sqs_n_atoms"):
        assert getattr(got.surface_maker, name) == getattr(want.surface_maker, name), name


def test_outcome_and_surface_settings_reach_the_maker():
    """Lowest-γ termination, seeded start, substrate test and classifier thresholds by default."""
    full = li_sites.Options()
    assert full.termination == "lowest_gamma" and full.sqs_samples == 3
    assert li_sites.Options.quick().sqs_samples == 1  # quick: one SQS sample (stated)
    got = li_sites.site_maker(li_sites.Options.quick(radius_factor=1.3, termination=1))
    assert got.termination == 1 and got.check_substrate is True
    assert got.start_displacement_a == pytest.approx(0.03)
    assert got.outcome_settings["radius_factor"] == 1.3
    assert got.outcome_settings["reconstruction_threshold_ev"] == 0.05


def test_sqs_samples_give_one_flow_each():
    options = li_sites.Options.quick(materials=["Cu", "Cu0.64Zn0.36"], sqs_samples=3)
    flows = li_sites.build_flows(options)
    assert sorted(flows) == [
        "Cu 111",
        "Cu0.64Zn0.36 111",
        "Cu0.64Zn0.36 111 k1",
        "Cu0.64Zn0.36 111 k2",
    ]
    names = [j.name for j in flows["Cu0.64Zn0.36 111 k2"].jobs]
    assert any("SQS cell" in n for n in names)


def test_save_and_load_round_trip(tmp_path):
    options = li_sites.Options.quick(materials=["Cu", _cu_structure()], max_sites=1)
    for name in ("o.json", "o.yaml"):
        loaded = li_sites.Options.load(options.save(tmp_path / name))
        assert loaded == options
        assert loaded.materials[1] == options.materials[1]


def test_user_structure_and_file_reach_the_maker(tmp_path):
    struct = _cu_structure()
    path = tmp_path / "my_copper.cif"
    struct.to(filename=str(path))
    options = li_sites.Options.quick(materials=[struct, str(path)], calculator="sevenn")
    flows = li_sites.build_flows(options)
    assert sorted(flows) == ["Cu 111", "my_copper 111"]
    names = [job.name for job in flows["Cu 111"].jobs]
    assert "bulk relax Cu" in names and "make_site_jobs Cu (111)" in names
    fan = flows["my_copper 111"].jobs[-1]  # make_site_jobs(maker, material, ...)
    assert fan.function_args[1] == "my_copper"
    bulk_job = flows["Cu 111"].jobs[0]
    assert len(bulk_job.function_args[0]) == 4  # the user's 4-atom cell, not the catalogue's


def test_same_label_twice_is_refused():
    with pytest.raises(ConfigurationError, match="two materials have the label 'Cu'"):
        li_sites.build_flows(li_sites.Options.quick(materials=["Cu", _cu_structure()]))


def test_build_flows_checks_elements_before_running():
    with pytest.raises(ConfigurationError, match="not valid for element"):
        li_sites.build_flows(li_sites.Options.quick(materials=["Cu"], calculator="emt"))
    flows = li_sites.build_flows(li_sites.Options.quick(materials=["Cu"], millers=[[1, 0, 0]]))
    assert list(flows) == ["Cu 100"]


def test_collect_on_empty_store_names_what_is_missing(memory_jobstore):
    options = li_sites.Options.quick(materials=["Cu"], millers=[[1, 1, 1], [1, 0, 0]])
    result = li_sites.collect(memory_jobstore, options)
    assert result.missing == ["Cu (111)", "Cu (100)"]
    assert result.summaries == [] and result.site_rows == [] and not result.complete
    assert result.definition == BINDING_DEFINITION
    assert li_sites.figures(result, "unused") == {}
    assert li_sites.table_rows(result) == []
    assert [c.verdict for c in li_sites.claims(result)] == ["not run"]


@pytest.mark.mlip
def test_sevenn_li_on_cu111_quick(in_tmp, embedded_store):
    """SevenNet-0, binding --quick on Cu(111) with one site: Li binds more than to bcc Li."""
    options = li_sites.Options.quick(materials=["Cu"], max_sites=1)
    result = li_sites.run(options, store=embedded_store, data_dir=in_tmp / "data")
    assert result.complete, (result.missing, result.failed)
    (summary,) = result.summaries
    assert summary["material"] == "Cu" and summary["miller"] == [1, 1, 1]
    assert summary["n_sites"] == 1
    # Li prefers Cu(111) to bulk Li (lithiophilic reference), by less than its cohesive energy
    assert 0.1 < summary["binding_energy_bcc_ev"] < 1.0
    assert summary["binding_energy_atom_ev"] - summary["binding_energy_bcc_ev"] == pytest.approx(
        summary["cohesive_energy_ev"], abs=1e-9
    )
    assert 1.0 < summary["cohesive_energy_ev"] < 2.0  # exp. 1.63 eV
    (row,) = li_sites.table_rows(result)
    assert (
        row["facet"] == "(111)" and row["binding_energy_bcc_ev"] == summary["binding_energy_bcc_ev"]
    )
    assert [r["site_label"] for r in result.site_rows] == [summary["lowest_site_label"]]
    # the database gives the same answer without the flows
    again = li_sites.collect(embedded_store, options)
    assert again.summaries[0]["binding_energy_bcc_ev"] == summary["binding_energy_bcc_ev"]
    assert again.model_dump(mode="json")["summaries"] == result.model_dump(mode="json")["summaries"]
    paths = li_sites.figures(result, in_tmp / "figs")
    assert paths["5c"].name == li_sites.FIGURE_NAME and paths["5c"].stat().st_size > 5000
    (claim,) = li_sites.claims(result)
    assert claim.panel == "5c" and claim.verdict == "not run"  # one material: no comparison
