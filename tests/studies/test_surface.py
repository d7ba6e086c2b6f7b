"""The surface-energy study (Fig. 5a): Options, flows, run/collect, figures, claims."""

from __future__ import annotations

import pytest
from ase.build import bulk
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.analysis.surface import GAMMA_DEFINITION
from lithiophilic.errors import ConfigurationError
from lithiophilic.studies import surface
from lithiophilic.workflows.surface import SurfaceEnergyMaker


def _cu_structure():
    struct = AseAtomsAdaptor.get_structure(bulk("Cu", "fcc", a=3.61))
    struct.properties = {}
    return struct


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"millers": [[0, 0, 0]]}, "millers"),
        ({"millers": [[1, 1]]}, "millers"),
        ({"vacuum_a": 5.0}, "vacuum_a"),
        ({"slab_fmax_ev_per_a": 0.0}, "slab_fmax_ev_per_a"),
        ({"fix": "top"}, "fix"),
        ({"calculator": "nosuch"}, "calculator: unknown name 'nosuch'"),
        ({"n_layers": 3, "n_fixed_layers": 3}, "n_layers: 3 planes leave no free plane"),
        ({"materials": []}, "materials"),
        ({"max_terminations": 0}, "max_terminations"),
        ({"n_layer": 4}, "n_layer: Extra inputs are not permitted"),
    ],
)
def test_bad_options_name_the_field(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        surface.Options(**kwargs)


def test_bad_assignment_names_the_field():
    options = surface.Options()
    with pytest.raises(ConfigurationError, match="vacuum_a"):
        options.vacuum_a = 7.9


def test_defaults_and_quick_preset():
    full = surface.Options()
    assert full.materials == list(defaults.PAPER_MATERIALS)
    assert full.millers == [[1, 1, 1], [1, 0, 0]]
    assert (full.n_layers, full.n_fixed_layers, full.sqs_samples, full.sqs_periods) == (
        defaults.N_LAYERS,
        defaults.N_FIXED_LAYERS,
        defaults.SQS_SAMPLES,
        2,
    )
    assert full.slab_fmax_ev_per_a == defaults.SLAB_FMAX_EV_PER_A
    assert full.max_terminations is None
    quick = surface.Options.quick()
    assert quick.n_layers == 4
    assert quick.min_thickness_a == 6.0
    assert quick.n_fixed_layers == 0
    assert quick.max_terminations == 2
    assert quick.sqs_samples == 1
    assert quick.sqs_periods == 1
    assert quick.slab_fmax_ev_per_a == defaults.QUICK_SLAB_FMAX_EV_PER_A
    assert surface.Options.quick(max_terminations=3).max_terminations == 3


def test_surface_maker_is_the_cli_maker():
    """Same Maker settings as the pre-study command built (so the same cache keys)."""
    from lithiophilic.potentials import CalculatorSpec
    from lithiophilic.workflows.base import AseRelaxMaker

    maker = surface.surface_maker(surface.Options.quick(calculator="emt"))
    expected = SurfaceEnergyMaker(
        millers=[[1, 1, 1], [1, 0, 0]],
        n_layers=4,
        min_thickness_a=6.0,
        thickness_series=[],
        vacuum_a=defaults.VACUUM_A,
        n_fixed_layers=0,
        fix="center",
        max_terminations=2,
        sqs_samples=1,
        sqs_periods=1,
        slab_relax_maker=AseRelaxMaker(
            name="slab relax",
            fmax_ev_per_a=defaults.QUICK_SLAB_FMAX_EV_PER_A,
            max_steps=defaults.SLAB_MAX_STEPS,
            allow_unconverged=True,
        ),
    ).with_calculator(CalculatorSpec("emt"))
    assert maker.as_dict() == expected.as_dict()


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_save_load_round_trip(tmp_path, suffix):
    options = surface.Options.quick(
        materials=["Cu", _cu_structure()],
        millers=[[1, 1, 1], [1, -1, 0]],
        calculator="emt",
        thickness_series=[6, 8],
        fix="bottom",
        n_fixed_layers=1,
    )
    path = options.save(tmp_path / f"surface{suffix}")
    loaded = surface.Options.load(path)
    assert loaded == options
    assert loaded.materials[1] == options.materials[1]


def test_user_structure_and_cif_reach_the_maker(tmp_path):
    cif = tmp_path / "mycu.cif"
    _cu_structure().to(filename=str(cif))
    options = surface.Options.quick(
        materials=[bulk("Cu", "fcc", a=3.61), str(cif)], millers=[[1, 1, 1]], calculator="emt"
    )
    assert options.materials[0] == _cu_structure()  # ASE Atoms kept as a Structure
    flows = surface.build_flows(options)
    assert list(flows) == ["Cu", "mycu"]
    assert flows["mycu"].name == "surface energy mycu"


def test_bad_materials_are_refused_before_any_job(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        surface.build_flows(surface.Options(materials=[str(tmp_path / "nope.cif")]))
    with pytest.raises(ConfigurationError, match="label 'Cu'"):
        surface.build_flows(surface.Options(materials=["Cu", _cu_structure()], calculator="emt"))
    with pytest.raises(ConfigurationError, match="not valid for element"):
        surface.build_flows(surface.Options(materials=["Cu5Zn8"], calculator="emt"))


def test_collect_on_an_empty_store(memory_jobstore):
    options = surface.Options(materials=["Cu", "Ag"], millers=[[1, 1, 1], [1, 0, 0]])
    result = surface.collect(memory_jobstore, options)
    assert result.rows == []
    assert result.missing == ["Cu (111)", "Cu (100)", "Ag (111)", "Ag (100)"]
    assert not result.complete
    assert result.definition == GAMMA_DEFINITION
    assert surface.figures(result, "unused") == {}
    assert surface.table_rows(result) == []
    (claim, *_) = surface.claims(result)
    assert claim.verdict == "not run"


def test_run_emt_cu111(in_tmp, embedded_store):
    options = surface.Options.quick(materials=["Cu"], millers=[[1, 1, 1]], calculator="emt")
    result = surface.run(options, embedded_store, data_dir=in_tmp / "data")
    assert result.complete, (result.missing, result.failed)
    (row,) = result.rows
    assert row["material"] == "Cu" and row["miller"] == [1, 1, 1]
    assert row["converged"] and row["n_layers"] == 4
    # EMT Cu(111), 4 planes (EMT underestimates it; exp. ~1.8 J/m²); at the quick fmax the
    # symmetric slab barely relaxes
    assert row["gamma_relaxed_j_per_m2"] == pytest.approx(1.044, abs=0.005)
    assert row["gamma_relaxed_j_per_m2"] <= row["gamma_unrelaxed_j_per_m2"] + 1e-9
    assert result.options == options.model_dump(mode="json")
    (table_row,) = surface.table_rows(result)
    assert table_row["facet"] == "(111)" and table_row["termination"] == "0"
    assert table_row["gamma_range_j_per_m2"] is None

    paths = surface.figures(result, in_tmp / "reports")
    assert paths["5a"].name == surface.FIGURE_NAME and paths["5a"].stat().st_size > 5000
    assert paths["5a_csv"].read_text().startswith("material,miller")
    # collected again from the store (another process would see the same)
    again = surface.collect(embedded_store, options)
    assert again.rows == result.rows
    # a facet not run yet is named as missing, the stored one is still returned
    more = surface.collect(embedded_store, options.updated(millers=[[1, 1, 1], [1, 0, 0]]))
    assert more.missing == ["Cu (100)"] and len(more.rows) == 1
