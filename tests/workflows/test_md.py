"""Li-aggregation MD flow with real LAMMPS (MEAM plumbing potential on Cu(111))."""

from __future__ import annotations

import base64
import gzip
from dataclasses import replace

import numpy as np
import pytest
from jobflow import run_locally

from lithiophilic import defaults
from lithiophilic.analysis.aggregation import iter_frames
from lithiophilic.errors import ConfigurationError
from lithiophilic.structures.md_slab import add_dispersed_li, make_md_bulk, make_md_slab
from lithiophilic.workflows.md import LiAggregationMaker, LiAggregationMdMaker, MdSubstrateMaker
from lithiophilic.workflows.md_engine import MdSettings, run_md

POT = "meam-library-licu"


def _small_maker(**md):
    kwargs = {
        "md_time_ps": 0.4,
        "md_dump_every": 50,
        "md_check_every": 100,
        "md_n_li": 6,
        **{f"md_{k}": v for k, v in md.items()},
    }
    return LiAggregationMaker.with_potential(
        POT,
        replicas=2,
        substrate_lateral_size=(6, 6),
        substrate_n_layers=4,
        substrate_vacuum_a=20.0,
        **kwargs,
    )


@pytest.mark.slow
def test_md_flow_stores_trajectory_in_data_store(in_tmp, embedded_store, monkeypatch):
    import lithiophilic.workflows.md as md_module
    from lithiophilic.workflows.md_engine import md_cache_key

    # stored as before portable keys (the key held the potential's absolute path) ...
    def legacy_keys(*args):
        return (md_cache_key(*args, portable=False),)

    with monkeypatch.context() as patch:
        patch.setattr(md_module, "md_cache_keys", legacy_keys)
        flow = _small_maker().make("Cu")
        run_locally(flow, store=embedded_store, create_folders=True, ensure_success=True)
    md_docs = list(embedded_store.query({"output.doc_type": "md_aggregation"}))
    assert len(md_docs) == 2
    main = md_docs[0]["output"]
    # large fields are references into the data store, not inline
    assert "blob_uuid" in main["trajectory"]
    assert main["status"] == "completed"
    assert main["validated_for_science"] is False
    assert any("not validated" in w for w in main["warnings"])
    assert main["potential_info"]["name"] == POT
    assert main["calculator_version"].startswith("20")
    assert len(main["frames"]) == 9  # 0.4 ps / 50 fs + initial frame
    assert all(f["n_li"] == 6 for f in main["frames"])
    seeds = {d["output"]["seed"] for d in md_docs}
    assert seeds == {1, 2}
    full = embedded_store.get_output(md_docs[0]["uuid"], load=True)
    raw = gzip.decompress(base64.b64decode(full["trajectory"]["content"]))
    assert raw.count(b"ITEM: TIMESTEP") == 9
    assert "Step" in full["thermo_log"]
    summary = embedded_store.query_one({"output.doc_type": "aggregation_rate"})["output"]
    assert summary["n_completed"] == 2
    assert summary["k_per_ps"] >= 0
    assert "phi_inf" in summary["definition"] and "r0" in summary["definition"]
    # every analysis cutoff x window has a kinetics row; the first frame is the dispersed start
    assert summary["analysis_cutoffs_a"] == [3.0, 3.3, 3.6, 4.0]
    assert {(r["cutoff_a"], r["window"]) for r in summary["kinetics"]} == {
        (c, w) for c in (3.0, 3.3, 3.6, 4.0) for w in ("whole", "first-half")
    }
    assert all(r["first_frame_isolated_fraction"] == 1.0 for r in summary["kinetics"])
    assert summary["li_diffusion_a2_per_ps"] is not None
    assert len(summary["li_diffusion_replicas_a2_per_ps"]) == 2
    assert "held at their dispersed in-plane placement" in summary["start_protocol"]
    assert main["first_frame_min_li_li_a"] >= 4.5 - 1e-6
    assert "pooled over 2 replicas" in summary["cutoff_source"]  # one cutoff for all replicas
    assert [len(f) for f in summary["replica_frames"]] == [9, 9]
    sub = embedded_store.query_one({"output.doc_type": "md_substrate"})["output"]
    assert 3.55 < sub["lattice_constant_a"] < 3.7  # MEAM Cu
    assert sub["n_atoms"] == 6 * 6 * 4
    # ... the same campaign again: both replicas are reused by their old key, no new MD
    again = _small_maker().make("Cu")
    run_locally(again, store=embedded_store, create_folders=True, ensure_success=True)
    docs = [d["output"] for d in embedded_store.query({"output.doc_type": "md_aggregation"})]
    assert len(docs) == 4
    reused = [d for d in docs if d["reused_from_uuid"]]
    assert len(reused) == 2
    assert {d["reused_from_uuid"] for d in reused} == {d["uuid"] for d in md_docs}
    assert len({d["cache_key"] for d in docs}) == 2


def test_md_cache_key_does_not_depend_on_the_install_path(tmp_path):
    """The portable key is the same for a copy of the potential elsewhere; the old key was not."""
    import shutil

    from lithiophilic.potentials.distill.models import load_fitted_potential
    from lithiophilic.potentials.lammps import get_lammps_potential
    from lithiophilic.workflows.md_engine import md_cache_key, md_cache_keys

    atoms = _li_slab()
    settings = {"temperature_k": 300.0, "timestep_fs": 1.0, "seed": 1, "n_mpi": 1}
    keys = []
    for where in ("a", "b"):
        copy = tmp_path / where / "licuzn-eam"
        shutil.copytree(get_lammps_potential("licuzn-eam").directory, copy)
        pot = load_fitted_potential(copy, name="licuzn-eam")
        keys.append(md_cache_keys(atoms, pot, settings, 5.0, 3.3))
        assert keys[-1][0] == md_cache_key(atoms, pot, settings, 5.0, 3.3)
    (portable_a, legacy_a), (portable_b, legacy_b) = keys
    assert portable_a == portable_b
    assert legacy_a != legacy_b != portable_a
    # a file's contents still enter the key
    edited = tmp_path / "b" / "licuzn-eam" / "potential.eam.alloy"
    edited.write_text(edited.read_text() + "\n")
    pot = load_fitted_potential(edited.parent, name="licuzn-eam")
    assert md_cache_key(atoms, pot, settings, 5.0, 3.3) != portable_a


def test_default_potential_is_the_shipped_distilled_one():
    from lithiophilic.potentials.lammps import get_lammps_potential

    assert defaults.MD_POTENTIAL == "licuzn-eam-li3b"  # licuzn-eam + UF3 Li-Li (issue 19)
    pot = get_lammps_potential(defaults.MD_POTENTIAL)
    assert set(pot.elements) == {"Li", "Cu", "Zn"}
    LiAggregationMaker().make("Cu0.64Zn0.36")  # alloy elements are covered
    with pytest.raises(ConfigurationError, match="'nope' is not registered; registered: "):
        LiAggregationMaker.with_potential("nope").make("Cu")


def test_unknown_element_for_potential():
    with pytest.raises(ConfigurationError, match="Zn"):
        LiAggregationMaker.with_potential(POT).make("Cu0.64Zn0.36")


def test_timestep_above_5fs_rejected():
    with pytest.raises(ConfigurationError, match="timestep_fs"):
        LiAggregationMdMaker(potential=POT, timestep_fs=6.0)


def test_blow_up_is_marked_failed_and_keeps_partial_trajectory(tmp_path):
    slab = make_md_slab(make_md_bulk("Cu", a_a=3.62), lateral_size=(5, 5), n_layers=3)
    atoms = add_dispersed_li(slab, 4, seed=3)
    # absurd temperature: the Li leave the surface / the thermostat cannot hold it
    settings = MdSettings(
        potential=POT,
        temperature_k=20000.0,
        n_steps=2000,
        dump_every=20,
        check_every=20,
        minimize=False,
        equilibration_steps=0,  # the blow-up must happen in the checked MD chunks
    )
    result = run_md(atoms, settings, tmp_path / "blow")
    assert result["status"] == "failed"
    assert result["n_steps_done"] < 2000
    assert any(
        k in result["failure_reason"] for k in ("Li left", "lost atoms", "runaway", "LAMMPS")
    )
    frames = list(iter_frames(result["trajectory"], timestep_fs=1.0))
    assert 1 <= len(frames) <= result["n_steps_done"] // 20 + 1
    assert np.all(np.isfinite(frames[-1].positions))


def test_alloy_slab_construction_and_element_check():
    bulk = make_md_bulk("Cu0.64Zn0.36", n_layers=3, sqs_tile=(5, 5))
    assert len(bulk) == 75
    slab = make_md_slab(bulk, lateral_size=(10, 5), n_fixed_layers=1)
    assert len(slab) == 150
    counts = dict(zip(*np.unique(slab.get_chemical_symbols(), return_counts=True), strict=True))
    assert counts == {"Cu": 96, "Zn": 54}
    assert slab.info["n_top_atoms"] == 50
    with pytest.raises(ConfigurationError, match="multiple of the SQS tile"):
        make_md_slab(bulk, lateral_size=(7, 5))
    from lithiophilic.potentials.lammps import get_lammps_potential

    with pytest.raises(ConfigurationError, match="Zn"):
        get_lammps_potential(POT).check_elements(set(slab.get_chemical_symbols()) | {"Li"})


def test_li_that_cannot_fit_is_rejected():
    slab = make_md_slab(make_md_bulk("Cu", a_a=3.62), lateral_size=(4, 4), n_layers=3)
    with pytest.raises(ConfigurationError, match="n_li=40"):
        add_dispersed_li(slab, 40)
    atoms = add_dispersed_li(slab, 3, min_spacing_a=4.0, seed=1)
    li = atoms.positions[atoms.numbers == 3]
    assert len(li) == 3
    assert np.allclose(li[:, 2], slab.info["z_top_a"] + 2.2)


def _progress(caplog):
    return [r.progress for r in caplog.records if hasattr(r, "progress")]


def test_md_chunks_report_progress(tmp_path, caplog):
    slab = make_md_slab(make_md_bulk("Cu", a_a=3.62), lateral_size=(5, 5), n_layers=3)
    atoms = add_dispersed_li(slab, 3, seed=2)
    settings = MdSettings(potential=POT, n_steps=400, dump_every=100, check_every=10)
    with caplog.at_level("INFO", logger="lithiophilic"):
        result = run_md(atoms, settings, tmp_path / "serial")
    assert result["status"] == "completed", result["failure_reason"]
    steps = _progress(caplog)
    # 40 chunks: the first one, then one record per crossed 5 % of the run (not one per chunk)
    assert steps[:3] == [(10, 400), (20, 400), (40, 400)]
    assert steps[-1] == (400, 400)
    assert len(steps) == 21
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)


def test_mpi_run_with_nose_hoover(tmp_path, caplog):
    from lithiophilic.workflows.md_engine import run_md_mpi

    slab = make_md_slab(make_md_bulk("Cu", a_a=3.62), lateral_size=(6, 6), n_layers=3)
    atoms = add_dispersed_li(slab, 4, seed=5)
    settings = MdSettings(
        potential=POT, n_steps=200, dump_every=100, check_every=100, thermostat="nose-hoover"
    )
    with caplog.at_level("INFO", logger="lithiophilic"):
        result = run_md_mpi(atoms, settings, tmp_path / "mpi", n_mpi=2)
    assert _progress(caplog) == [(100, 200), (200, 200)]  # rank 0's, relayed by the launcher
    assert result["status"] == "completed", result["failure_reason"]
    assert result["n_mpi"] == 2
    frames = list(iter_frames(result["trajectory"]))
    assert len(frames) == 3
    assert all(len(f.select("Li")) == 4 for f in frames)
    script = (tmp_path / "mpi" / "in.lammps").read_text()
    assert "fix integrate substrate nvt" in script  # Nose-Hoover on the substrate only
    assert "fix integrate_li li nve" in script


def test_overlapping_atoms_fail_cleanly(tmp_path):
    slab = make_md_slab(make_md_bulk("Cu", a_a=3.62), lateral_size=(5, 5), n_layers=3)
    atoms = add_dispersed_li(slab, 2, seed=3)
    top_cu = int(np.argmax(np.where(atoms.numbers == 29, atoms.positions[:, 2], -1)))
    atoms.positions[-1] = atoms.positions[top_cu] + [0.05, 0.0, 0.1]  # Li inside a Cu atom
    # without the initial minimisation (which would push the Li out) the forces explode
    settings = MdSettings(
        potential=POT,
        n_steps=500,
        dump_every=50,
        check_every=50,
        minimize=False,
        equilibration_steps=0,  # (with it, the substrate thermalisation fails first)
    )
    result = run_md(atoms, settings, tmp_path / "overlap")
    assert result["status"] == "failed"
    assert result["failure_reason"]
    assert result["n_steps_done"] < 500
    assert len(list(iter_frames(result["trajectory"]))) >= 1  # partial trajectory readable


# --------------------------------------------------------------------------- issue 19 protocol


def _li_slab(n_li=6, seed=3):
    slab = make_md_slab(
        make_md_bulk("Cu", a_a=3.62), lateral_size=(6, 6), n_layers=3, n_fixed_layers=1
    )
    return add_dispersed_li(slab, n_li, min_spacing_a=defaults.MD_LI_MIN_SPACING_A, seed=seed)


@pytest.mark.slow
def test_first_analysed_frame_is_the_dispersed_placement_and_li_are_not_thermostatted(
    tmp_path, monkeypatch
):
    """Shipped potential: Li held in-plane through minimisation and substrate thermalisation."""
    from lithiophilic.analysis.aggregation import cluster_frame
    from lithiophilic.potentials.lammps import import_lammps

    atoms = _li_slab()
    placed = atoms.positions[atoms.numbers == 3, :2]
    settings = MdSettings(
        potential=defaults.MD_POTENTIAL, n_steps=300, dump_every=50, check_every=100, seed=3
    )
    result = run_md(atoms, settings, tmp_path / "run")
    assert result["status"] == "completed", result["failure_reason"]
    frames = list(iter_frames(result["trajectory"], timestep_fs=1.0))
    first = frames[0]
    assert first.step == 0
    li = first.select("Li")
    assert np.allclose(li[:, :2], placed, atol=1e-6)  # the placement itself, not a relaxed one
    for cutoff in defaults.MD_ANALYSIS_CUTOFFS_A:
        assert cluster_frame(li, first.cell, first.pbc, cutoff).isolated_fraction == 1.0
    # the Li moved afterwards (they are integrated) ...
    assert not np.allclose(frames[-1].select("Li")[:, :2], placed, atol=0.05)
    # ... and no thermostat fix acts on a Li atom: replay the set-up and count group overlaps
    script = (tmp_path / "run" / "in.lammps").read_text()
    assert "fix thermostat substrate langevin" in script
    assert "fix integrate mobile nve" in script
    assert "fix hold_li li setforce 0.0 0.0 NULL" in script
    setup = script.split("\nrun ")[0].splitlines()
    monkeypatch.chdir(tmp_path / "run")
    lmp = import_lammps().lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])
    try:
        lmp.commands_list([c for c in setup if not c.startswith(("minimize", "run", "dump"))])
        lmp.commands_list(
            [
                "group li_in_bath intersect li substrate",
                "variable n_bath equal count(substrate)",
                "variable n_overlap equal count(li_in_bath)",
                "variable n_mobile equal count(mobile)",
            ]
        )
        n_bath = lmp.extract_variable("n_bath")
        assert lmp.extract_variable("n_overlap") == 0
        assert n_bath == lmp.extract_variable("n_mobile") - 6 > 0
    finally:
        lmp.close()


def test_old_protocol_keeps_its_cache_key():
    """Old-protocol settings hash as before issue 19; the new protocol gets a new key."""
    from dataclasses import asdict

    from lithiophilic.potentials.lammps import get_lammps_potential
    from lithiophilic.workflows.md import md_cache_key

    atoms = _li_slab()
    pot = get_lammps_potential(POT)
    new = asdict(MdSettings(potential=POT))
    old = asdict(
        MdSettings(
            potential=POT, li_start="minimized-free", thermostat_li=True, equilibration_steps=0
        )
    )
    before_issue19 = {
        k: v
        for k, v in old.items()
        if k not in ("li_start", "thermostat_li", "equilibration_steps")
    }
    key_old = md_cache_key(atoms, pot, old, 1.0, None)
    assert key_old == md_cache_key(atoms, pot, before_issue19, 1.0, None)
    assert md_cache_key(atoms, pot, new, 1.0, None) != key_old


def test_old_protocol_input_is_unchanged(tmp_path):
    from lithiophilic.workflows.md_engine import write_md_input

    old = MdSettings(
        potential=POT, li_start="minimized-free", thermostat_li=True, equilibration_steps=0
    )
    setup = write_md_input(_li_slab(), old, tmp_path)["setup"]
    tail = setup[setup.index("min_style cg") :]
    assert tail[:5] == [
        "min_style cg",
        "minimize 1.0e-8 1.0e-4 500 5000",
        "reset_timestep 0",
        "velocity mobile create 300.0 1 dist gaussian mom yes rot no",
        "fix integrate mobile nve",
    ]
    assert tail[5].startswith("fix thermostat mobile langevin")


def test_placement_spacing_must_exceed_every_analysis_cutoff():
    from lithiophilic.structures.md_slab import check_spacing_exceeds_cutoffs

    with pytest.raises(
        ConfigurationError, match=r"li_min_spacing_a=4.0 Å must exceed the largest .* \(4.0 Å"
    ):
        LiAggregationMaker.with_potential(POT, md_li_min_spacing_a=4.0)
    with pytest.raises(ConfigurationError, match=r"li_min_spacing_a=4\.5 Å must exceed"):
        LiAggregationMaker.with_potential(POT, md_cutoff_a=4.6)
    with pytest.raises(ConfigurationError, match="analysis_cutoffs_a"):
        LiAggregationMaker.with_potential(POT, analysis_cutoffs_a=())
    LiAggregationMaker.with_potential(POT, md_li_min_spacing_a=4.0, analysis_cutoffs_a=(3.3,))
    # the old protocol does not promise a dispersed first frame: no spacing check
    LiAggregationMaker.with_potential(POT, md_li_min_spacing_a=3.0, md_li_start="minimized-free")
    check_spacing_exceeds_cutoffs(4.5, [3.0, 4.0])
    with pytest.raises(ConfigurationError, match="my_spacing"):
        check_spacing_exceeds_cutoffs(4.0, [4.0], field="my_spacing")
    with pytest.raises(ConfigurationError, match="li_start"):
        MdSettings(potential=POT, li_start="teleport")
    # production coverage on the production slab fits at the production spacing
    LiAggregationMaker()._check_li_fits("Cu")
    LiAggregationMaker()._check_li_fits("Cu0.64Zn0.36")


def test_substrate_is_reused_whole_by_its_cache_key(in_tmp, embedded_store):
    """A stored slab is reused, not rebuilt: rebuilt on another machine, float noise may
    reorder the sites of a plane or move the scanned lattice constant in its last bits,
    which would change the slab's hash and every MD cache key built on it."""

    def run(maker):
        job = maker.make("Cu")
        run_locally(job, store=embedded_store, create_folders=False, ensure_success=True)
        return embedded_store.query_one({"uuid": job.uuid})["output"]

    maker = MdSubstrateMaker(potential=POT, lateral_size=(3, 3), n_layers=4, vacuum_a=20.0)
    first = run(maker)
    assert first["cache_key"] and first["reused_from_uuid"] is None
    assert first["lattice_constant_source"] == f"E(V) scan with {POT}"
    again = run(maker)
    assert again["reused_from_uuid"] is not None
    assert (again["cache_key"], again["structure_hash"]) == (
        first["cache_key"],
        first["structure_hash"],
    )
    assert again["lattice_constant_a"] == first["lattice_constant_a"]
    # another slab setting or a given lattice constant is another substrate
    wider = run(replace(maker, lateral_size=(4, 3)))
    given = run(replace(maker, lattice_constant_a=first["lattice_constant_a"]))
    for other in (wider, given):
        assert other["reused_from_uuid"] is None
        assert other["cache_key"] != first["cache_key"]
    assert given["lattice_constant_source"] == "given"
    # the same scan named as the ASE engine names it is the same slab; the copy states this
    # job's own scan (the teacher check's collect matches on it)
    via_ase = run(replace(maker, lattice_calculator=f"lammps:{POT}"))
    assert via_ase["reused_from_uuid"] is not None
    assert via_ase["structure_hash"] == first["structure_hash"]
    assert via_ase["lattice_constant_source"] == f"E(V) scan with lammps:{POT}"
