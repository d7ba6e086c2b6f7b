"""The PDOS study (Fig. 5b): Options, capability check, flows, run/collect, figures, claims."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from ase.build import bulk, fcc111
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.analysis.pdos import PDOS_DEFINITION
from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import REGISTRY, CalculatorBackend, CalculatorSpec, register_calculator
from lithiophilic.studies import pdos
from lithiophilic.workflows.pdos import PdosCalcMaker

#: The settings of the quick study, as `pdos --quick --nprocs 1` gives them to GPAW.
QUICK_GPAW = {
    "preset": "fast",
    "ecut_ev": 300.0,
    "kpt_density_a": 2.0,
    "nprocs": 1,
    "eigenstates_tol_ev2_per_electron": 1e-3,
    "eigensolver": "dav",
}


def _structure(atoms):
    struct = AseAtomsAdaptor.get_structure(atoms)
    struct.properties = {}
    return struct


# --------------------------------------------------------------------------- options
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"calculator": "sevenn"}, r"calculator: 'sevenn' cannot compute a PDOS; use one of \["),
        ({"calculator": "emt"}, r"calculator: 'emt' cannot compute a PDOS; use one of \["),
        ({"preset": "slow"}, "preset: .*unknown preset 'slow'"),
        ({"ecut_ev": -5.0}, "ecut_ev: .*ecut_ev=-5.0 is not allowed"),
        ({"nprocs": 0}, "nprocs: .*nprocs=0 is not allowed"),
        ({"eigenstates_tol_ev2_per_electron": 1.0}, "eigenstates_tol_ev2_per_electron"),
        ({"width_ev": 0.0}, "width_ev"),
        ({"dos_kpt_density_a": 0.0}, "dos_kpt_density_a"),
        ({"relax_max_atoms": -1}, "relax_max_atoms"),
        ({"n_points": 10}, "n_points"),
        ({"eigensolver": "rmm-diis"}, "eigensolver: .*must be one of"),
        ({"materials": []}, "materials"),
        ({"width": 0.1}, "width: Extra inputs are not permitted"),
    ],
)
def test_bad_options_name_the_field(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        pdos.Options(**kwargs)


def test_a_calculator_without_pdos_names_those_with_it():
    with pytest.raises(ConfigurationError, match=r"use one of \['gpaw', 'vasp'\]"):
        pdos.Options(calculator="emt")
    options = pdos.Options()
    with pytest.raises(ConfigurationError, match="ecut_ev"):
        options.ecut_ev = -1.0


def test_default_quick_and_paper_presets():
    full = pdos.Options()
    assert full.materials == list(defaults.PAPER_MATERIALS)
    assert (full.dos_kpt_density_a, full.width_ev, full.n_points) == (8.0, 0.1, 1501)
    # Davidson (bench/results/gpaw_eigensolver*.json); eigensolver None: GPAW's own default
    assert full.calculator_spec() == CalculatorSpec(
        "gpaw", {"preset": "fast", "eigensolver": "dav"}
    )
    plain = pdos.Options(eigensolver=None).calculator_spec()
    assert plain == CalculatorSpec("gpaw", {"preset": "fast"})
    assert full.dos_kpt_density_for(1) == full.dos_kpt_density_for(26) == 8.0

    quick = pdos.Options.quick(nprocs=1)
    assert quick.calculator_spec() == CalculatorSpec("gpaw", QUICK_GPAW)
    # the DOS on the SCF mesh, except small cells: a fixed-density run on a denser mesh
    assert quick.dos_kpt_density_for(26) == 2.0
    assert quick.dos_kpt_density_for(pdos.QUICK_DENSE_DOS_MAX_ATOMS) == pdos.QUICK_DOS_KPT_DENSITY
    assert quick.n_points == 751
    assert pdos.Options.quick(kpt_density_a=3.0).dos_kpt_density_for(26) == 3.0

    paper = pdos.Options.paper()
    assert (paper.ecut_ev, paper.kpt_density_a, paper.dos_kpt_density_a) == (300.0, 2.5, 4.0)
    assert (paper.width_ev, paper.relax_max_atoms) == (0.2, 1)
    paper_quick = pdos.Options.paper(quick=True, nprocs=2)
    assert paper_quick.relax_max_atoms == 1
    assert paper_quick.model_dump() == pdos.Options.quick(relax_max_atoms=1, nprocs=2).model_dump()


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_options_save_load_round_trip(tmp_path, suffix):
    slab = _structure(fcc111("Cu", (1, 1, 3), vacuum=8.0))
    options = pdos.Options.quick(materials=["Cu", slab, str(tmp_path / "POSCAR")], nprocs=1)
    again = pdos.Options.load(options.save(tmp_path / f"pdos{suffix}"))
    assert again == options
    assert again.materials[1] == slab


# --------------------------------------------------------------------------- flows
def test_build_flows_makes_the_makers_of_the_pdos_command(tmp_path):
    """Same Maker settings as `pdos --quick --nprocs 1` built: the same cache keys."""
    slab = _structure(fcc111("Cu", (2, 2, 3), vacuum=8.0))  # 12 atoms: no dense DOS run
    path = tmp_path / "slab.cif"
    slab.to(filename=str(path))
    options = pdos.Options.quick(materials=["Cu", "Cu5Zn8", str(path)], nprocs=1)
    flows = pdos.build_flows(options)
    assert list(flows) == ["Cu", "Cu5Zn8", "slab"]
    spec = CalculatorSpec("gpaw", QUICK_GPAW)
    for label, n_jobs, density in (("Cu", 2, 6.0), ("Cu5Zn8", 2, 2.0), ("slab", 2, 2.0)):
        jobs = flows[label].jobs
        assert len(jobs) == n_jobs  # relaxed: every cell has <= 1000 atoms
        maker = replace(jobs[-1].function.__self__, name="pdos")  # the job appends the label
        assert maker == PdosCalcMaker(
            calculator=spec, dos_kpt_density_a=density, width_ev=0.1, n_points=751
        )
        assert jobs[0].function.__self__.calculator == spec
    assert flows["Cu5Zn8"].jobs[0].function_args[0].num_sites == 26  # γ-brass primitive cell
    # the paper's relaxation rule: only 1-atom cells are relaxed
    flows = pdos.build_flows(options.updated(relax_max_atoms=1))
    assert [len(flows[k].jobs) for k in flows] == [2, 1, 1]


def test_build_flows_rejects_bad_materials(tmp_path):
    with pytest.raises(ConfigurationError, match="Unobtainium"):
        pdos.build_flows(pdos.Options(materials=["Unobtainium"]))
    with pytest.raises(ConfigurationError, match=r"materials: structure file .* does not exist"):
        pdos.build_flows(pdos.Options(materials=[str(tmp_path / "none.cif")]))
    with pytest.raises(ConfigurationError, match="two inputs have the label 'Cu'"):
        pdos.build_flows(pdos.Options(materials=["Cu", _structure(bulk("Cu", "fcc", a=3.6))]))


# --------------------------------------------------------------------------- a new backend
def _toy_pdos(
    atoms, *, settings, dos_kpt_density_a, width_ev, energy_window_ev, n_points, directory
):
    """A d band at -2.5 eV and a flat s band: no physics, only the plumbing of the study."""
    e = np.linspace(*energy_window_ev, n_points)
    gauss = np.exp(-(((e + 2.5) / (1.0 + width_ev)) ** 2)) / np.sqrt(np.pi)
    one = np.stack([0.1 + 0 * e, 0.0 * e, 5.0 * gauss])
    pdos_arr = np.stack([one] * len(atoms))
    results = {
        "energy_ev": -4.0 * len(atoms),
        "fermi_level_ev": 5.0,
        "scf_kpts": [4, 4, 4],
        "dos_kpts": [4, 4, 4],
        "dos_run": "scf",
        "dos_converged_up_to_ev": 2.0,
        "spinpol": False,
        "nprocs": 1,
    }
    return results, {"energies_ev": e, "total_dos": pdos_arr.sum(axis=(0, 1)), "pdos": pdos_arr}


@pytest.fixture
def toy_backend():
    """A backend that declares 'pdos': the study and the CLI take it without any edit."""
    from ase.calculators.emt import EMT

    register_calculator(
        CalculatorBackend(
            name="toy-dft",
            factory=lambda **_: EMT(),
            package="ase",
            kind="user",
            description="test backend with a PDOS runner",
            default_kwargs={"kpt_density_a": 2.0},
            capabilities=frozenset({"pdos"}),
            pdos_runner=_toy_pdos,
        )
    )
    yield "toy-dft"
    REGISTRY.pop("toy-dft")


def _emt_factory(**_):
    from ase.calculators.emt import EMT

    return EMT()


def test_a_backend_declaring_pdos_needs_a_runner():
    with pytest.raises(ConfigurationError, match="declares 'pdos' but gives no pdos_runner"):
        CalculatorBackend("x", _emt_factory, "ase", "user", "x", capabilities=frozenset({"pdos"}))
    with pytest.raises(ConfigurationError, match=r"unknown capability \['phonons'\]"):
        CalculatorBackend(
            "x", _emt_factory, "ase", "user", "x", capabilities=frozenset({"phonons"})
        )


def test_run_collect_figures_claims_with_a_new_backend(toy_backend, embedded_store, in_tmp):
    with pytest.raises(ConfigurationError, match=r"use one of \['gpaw', 'toy-dft', 'vasp'\]"):
        pdos.Options(calculator="emt")
    options = pdos.Options(
        materials=["Cu", "Cu5Zn8"], calculator=toy_backend, preset=None, relax_max_atoms=0
    )
    assert pdos.collect(embedded_store, options).missing == ["Cu", "Cu5Zn8"]
    result = pdos.run(options, store=embedded_store, data_dir=in_tmp / "data")
    assert result.complete and list(result.materials) == ["Cu", "Cu5Zn8"]
    assert result.definition == PDOS_DEFINITION
    gb = result.materials["Cu5Zn8"]
    assert gb["n_atoms"] == 26 and gb["lattice_source"].startswith("input lattice")
    assert "energies_ev" not in gb and "structure" not in gb  # no big arrays in the table
    assert [(r["material"], r["element"]) for r in pdos.table_rows(result)] == [
        ("Cu", "Cu"),
        ("Cu5Zn8", "Cu"),
        ("Cu5Zn8", "Zn"),
    ]
    assert result.rows[0]["d_band_centre_ev"] == pytest.approx(-2.5, abs=0.05)
    assert len(result.curves["Cu"].energies_ev) == 1501
    assert result.curves["Cu"].converged_up_to_ev == 2.0
    # the Result is what the report and the figures need, as JSON
    again = pdos.Result.model_validate_json(result.model_dump_json())
    assert again.rows == result.rows
    paths = pdos.figures(again, in_tmp / "figs")
    assert paths["5b"].name == "fig5b_pdos.png" and paths["5b"].stat().st_size > 0
    assert paths["5b_csv"].read_text().count("\n") == 4
    claims = pdos.claims(again)
    assert [c.panel for c in claims] == ["5b", "5b"]
    assert claims[1].verdict == "not run"  # no solid solution in these options
    mine = pdos.claims(again, roles={**defaults.PAPER_ROLES, "solid_solution": "Cu5Zn8"})
    assert "Cu5Zn8" in mine[1].claim and mine[1].verdict != "not run"
    # other settings: nothing stored for them
    other = pdos.collect(embedded_store, options.updated(width_ev=0.2))
    assert other.missing == ["Cu", "Cu5Zn8"] and not other.rows
    assert pdos.figures(other, in_tmp / "none") == {}


# --------------------------------------------------------------------------- GPAW
@pytest.mark.slow
def test_quick_cu_pdos_through_the_study(embedded_store, in_tmp):
    """`studies.pdos.run` with real GPAW (PBE), bulk Cu, the quick preset on one rank."""
    options = pdos.Options.quick(materials=["Cu"], nprocs=1)
    result = pdos.run(options, store=embedded_store, data_dir=in_tmp / "data")
    assert result.complete, result.failed
    doc = result.materials["Cu"]
    assert doc["dos_run"] == "fixed-density" and doc["dos_kpt_density_a"] == 6.0
    assert doc["calculator_settings"]["eigenstates_tol_ev2_per_electron"] == 1e-3
    assert doc["lattice_source"].startswith("cell and positions relaxed with gpaw")
    (row,) = result.rows
    # a metal: states at E_F (s+p+d in the augmentation sphere, ~0.25 states/eV/atom);
    # the filled 3d band lies 2-3 eV below E_F
    assert 0.15 < row["dos_at_fermi_states_per_ev_atom"] < 0.35
    assert -3.0 < row["d_band_centre_ev"] < -2.0
    e = np.asarray(result.curves["Cu"].energies_ev)
    s, _, d = (np.asarray(x) for x in result.curves["Cu"].element_pdos["Cu"])
    assert e[np.argmax(d)] < -1.0 and d.max() > 10 * s.max()
    # the same options again: collected from the store, nothing recomputed
    assert pdos.collect(embedded_store, options).materials == result.materials


def test_sum_rule_and_dos_settings_in_the_result(toy_backend, embedded_store, in_tmp):
    """The toy backend's total DOS is the sum of its projections: ratio 1, per atom."""
    options = pdos.Options(
        materials=["Cu", "Cu5Zn8"], calculator=toy_backend, preset=None, relax_max_atoms=0
    )
    result = pdos.run(options, store=embedded_store, data_dir=in_tmp / "data")
    for label in ("Cu", "Cu5Zn8"):
        rule = result.dos_sum_rule[label]
        assert rule["sphere_to_total_ratio"] == pytest.approx(1.0)
        assert 0.1 < rule["total_dos_at_fermi_states_per_ev_atom"] < 0.13  # flat s + d tail
    assert all("sphere_to_total_ratio" in r for r in pdos.table_rows(result))
    assert result.dos_settings["Cu"]["width_ev"] == options.width_ev
    assert result.dos_settings_consistent is True


def test_paper_campaign_uses_one_dos_mesh_and_broadening_for_every_material():
    paper = pdos.Options.paper()
    # same k-point density for a 1-atom cell and the 25/26-atom alloy cells, one width, one grid
    assert paper.dos_kpt_density_for(1) == paper.dos_kpt_density_for(26) == 4.0
    assert paper.width_ev == 0.2


@pytest.mark.parametrize(
    "make",
    [
        lambda: pdos.Options.quick(calculator="vasp"),
        lambda: pdos.Options.paper(calculator="vasp"),
        lambda: pdos.Options.paper(quick=True, calculator="vasp"),
    ],
)
def test_presets_map_onto_vasp_settings(make):
    """The presets' DFT settings reach VASP under its own names; GPAW-only ones are not passed."""
    options = make()
    spec = options.calculator_spec()
    assert options.ecut_ev is None  # GPAW's preset cutoff does not carry over to VASP's PAWs
    assert "ecut_ev" not in spec.kwargs and "encut_ev" not in spec.kwargs  # VASP preset: 520 eV
    assert spec.kwargs["kpt_density_a"] == options.kpt_density_a
    assert "eigenstates_tol_ev2_per_electron" not in spec.kwargs
    assert "eigensolver" not in spec.kwargs
    flows = pdos.build_flows(options.model_copy(update={"materials": ["Cu"]}))
    assert flows  # the VASP PDOS flow builds (VASP itself runs only where it is installed)


def test_vasp_cutoff_option_maps_and_bad_one_names_the_option():
    options = pdos.Options.quick(calculator="vasp", ecut_ev=600.0)
    assert options.calculator_spec().kwargs["encut_ev"] == 600.0
    with pytest.raises(ConfigurationError, match="ecut_ev"):
        pdos.Options.quick(calculator="vasp", ecut_ev=-1.0)
