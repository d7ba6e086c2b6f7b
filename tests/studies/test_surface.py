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


# ------------------------------------------- 5a at the Cu-rich edge of the window (issue 18, 4)
def _row(material, miller, g_lo, g_hi, termination=0, window=(-0.17, -0.01)):
    """A converged surface row: gamma at the dmu-min (Cu-rich) and dmu-max edges, J/m²."""
    chem = g_lo != g_hi
    return {
        "material": material,
        "miller": list(miller),
        "termination": termination,
        "sqs_seed": None,
        "n_layers": 6,
        "n_atoms": 60,
        "method": "chemical-potential" if chem else "stoichiometric",
        "gamma_unrelaxed_j_per_m2": max(g_lo, g_hi) + 0.1,
        "gamma_relaxed_j_per_m2": 0.5 * (g_lo + g_hi),
        "gamma_relaxed_ev_per_a2": 0.5 * (g_lo + g_hi) / 16.0218,
        "gamma_relaxed_min_j_per_m2": min(g_lo, g_hi),
        "gamma_relaxed_max_j_per_m2": max(g_lo, g_hi),
        "gamma_relaxed_at_delta_mu_min_j_per_m2": g_lo,
        "gamma_relaxed_at_delta_mu_max_j_per_m2": g_hi,
        "delta_mu_window_ev": list(window) if chem else None,
        "delta_mu_window_source": "two-phase equilibria" if chem else None,
        "delta_mu_window": {"neighbours": ["CuZn", "CuZn4"]} if chem else None,
        "converged": True,
    }


def test_5a_verdict_uses_the_cu_rich_edge_and_shows_the_window():
    ref, im = defaults.PAPER_ROLES["reference"], defaults.PAPER_ROLES["intermetallic"]
    ss = defaults.PAPER_ROLES["solid_solution"]
    rows = [
        _row(ref, (1, 1, 1), 1.30, 1.30),
        _row(ref, (1, 0, 0), 1.48, 1.48),
        _row(ss, (1, 1, 1), 1.00, 1.00),
        _row(ss, (1, 0, 0), 1.20, 1.20),
        _row(im, (1, 1, 1), 1.16, 1.16),
        # gamma-brass (100): Zn-rich termination, above the alloy at the Cu-rich edge (1.25)
        # but below it at the Zn-rich edge (1.05); a second, stoichiometric one at 1.30
        _row(im, (1, 0, 0), 1.25, 1.05, termination=1),
        _row(im, (1, 0, 0), 1.30, 1.30, termination=2),
    ]
    result = surface.Result(options={}, rows=rows)
    (ordering, _) = surface.claims(result)
    assert ordering.verdict == "agree"  # over the whole window it would overlap
    assert "two-phase equilibria with CuZn / CuZn4" in ordering.ours
    assert "[-0.170, -0.010] eV" in ordering.ours
    assert "1.050–1.250" in ordering.ours  # gamma-brass (100) over the window
    assert "Cu-rich" in ordering.reason
    lowest = {(r["material"], r["facet"]): r for r in surface.lowest_terminations(result)}
    assert lowest[(im, "(100)")]["termination"] == 1
    assert not lowest[(im, "(100)")]["changes_across_window"]
    table = {(r["material"], r["facet"], r["termination"]): r for r in surface.table_rows(result)}
    assert table[(im, "(100)", "1")]["gamma_cu_rich_edge_j_per_m2"] == pytest.approx(1.25)
    assert table[(im, "(100)", "1")]["delta_mu_window_ev"] == [-0.17, -0.01]
    assert table[(ss, "(111)", "0")]["gamma_cu_rich_edge_j_per_m2"] == pytest.approx(1.00)


def test_old_rows_without_window_fields_use_their_line_at_the_cu_rich_edge():
    from lithiophilic.analysis.surface import lowest_gamma_termination

    line = {
        "gamma_at_zero_ev_per_a2": 0.060,
        "slope_per_a2": -0.2,
        "delta_mu_min_ev": -0.17,
        "delta_mu_max_ev": 0.0,
    }
    old = {
        "material": "Cu5Zn8",
        "miller": [1, 0, 0],
        "termination": 0,
        "n_atoms": 60,
        "gamma_relaxed_j_per_m2": 1.2,
        "gamma_vs_delta_mu": line,
        "converged": True,
    }
    (row,) = surface.gamma_table_rows([{**old, "n_layers": 6, "method": "chemical-potential",
                                        "gamma_unrelaxed_j_per_m2": 1.3,
                                        "gamma_relaxed_ev_per_a2": 0.075,
                                        "gamma_relaxed_min_j_per_m2": 0.96,
                                        "gamma_relaxed_max_j_per_m2": 1.5}])  # fmt: skip
    assert row["gamma_cu_rich_edge_j_per_m2"] == pytest.approx((0.060 + 0.034) * 16.0217663)
    assert lowest_gamma_termination([old], "Cu5Zn8", [1, 0, 0]) == (0, False)
