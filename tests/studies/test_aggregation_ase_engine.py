"""The aggregation study in the ASE engine (issue 19 item 3): a study option, stored, resumable.

Real runs with the shipped EAM through ASE (``lammps:licuzn-eam``), a real database file.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from ase.io import read
from typer.testing import CliRunner

from lithiophilic.db import get_store
from lithiophilic.errors import ConfigurationError
from lithiophilic.studies import aggregation
from lithiophilic.workflows import md_ase_job

EAM = "lammps:licuzn-eam"


def _options(**over):
    settings = {
        "materials": ["Cu"],
        "engine": "ase",
        "ase_calculator": EAM,
        "ase_chunk_steps": 20,
        "lateral_size": (5, 5),
        "n_layers": 3,
        "n_fixed_layers": 1,
        "vacuum_a": 15.0,
        "n_li": 3,
        "time_ps": 0.04,
        "dump_every": 10,
        "replicas": 1,
        # the potential EAM (the stand-in teacher) runs: checked against itself, same numbers
        "potential": "licuzn-eam",
        **over,
    }
    return aggregation.Options(**settings)


def test_chunk_states_go_where_the_environment_says(tmp_path, monkeypatch):
    job = tmp_path / "runs" / "job_1"
    assert md_ase_job.ase_md_workdir("k", job) == tmp_path / "runs" / "ase-md" / "k"
    monkeypatch.setenv(md_ase_job.ASE_MD_DIR_ENV, str(tmp_path / "states"))
    assert md_ase_job.ase_md_workdir("k", job) == (tmp_path / "states" / "k").resolve()


def test_options_refuse_what_the_ase_engine_cannot_do():
    with pytest.raises(ValueError, match="ase_chunk_steps=20 must be a multiple of dump_every=15"):
        _options(dump_every=15)
    with pytest.raises(ValueError, match="thermostat='nose-hoover' not allowed with engine='ase'"):
        _options(thermostat="nose-hoover")
    with pytest.raises(ConfigurationError, match="unknown LAMMPS potential 'nosuch'"):
        aggregation.build_flows(_options(ase_calculator="lammps:nosuch"))
    with pytest.raises(ConfigurationError, match="calculator: unknown name 'nosuch'"):
        aggregation.build_flows(_options(ase_calculator="nosuch"))
    # the LAMMPS engine ignores the ASE options, as before
    aggregation.build_flows(_options(engine="lammps", dump_every=15))


def test_cli_teacher_flag_builds_the_check():
    from lithiophilic.cli.md import md_options

    options = md_options(material=["Cu"], teacher="sevenn", quick=True)
    assert options.teacher is not None and options.teacher.calculator == "sevenn"
    assert md_options(material=["Cu"], quick=True).teacher is None


def test_paper_md_teacher_reaches_the_md_stage_and_bad_names_exit_2(tmp_path):
    from lithiophilic.cli import app
    from lithiophilic.cli.paper import paper_options
    from lithiophilic.studies.paper import stage_options

    (md,) = stage_options(paper_options(md_teacher="sevenn", stage=["md"]))["md"]
    assert md.teacher is not None and md.teacher.calculator == "sevenn"
    assert stage_options(paper_options(stage=["md"]))["md"][0].teacher is None
    res = CliRunner().invoke(
        app,
        ["paper", "--quick", "--md-teacher", "nosuch", "--data-dir", str(tmp_path / "d"),
         "--out", str(tmp_path / "r")],
    )  # fmt: skip
    assert res.exit_code == 2 and "nosuch" in res.output
    assert not (tmp_path / "r").exists()


def test_cli_bad_ase_calculator_exits_2_and_stores_nothing(tmp_path):
    from lithiophilic.cli import app

    res = CliRunner().invoke(
        app,
        ["md-aggregation", "--quick", "-m", "Cu", "--engine", "ase", "--ase-calculator",
         "nosuch", "--data-dir", str(tmp_path / "data")],
    )  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "nosuch" in res.output
    store = get_store(data_dir=tmp_path / "data")
    store.connect()
    assert store.count({}) == 0


@pytest.mark.slow
def test_ase_engine_run_is_stored_resumes_after_a_kill_and_matches_an_uninterrupted_run(
    tmp_path, monkeypatch
):
    options = _options(workers=1)  # the kill below is patched into this process
    # uninterrupted
    whole = aggregation.run(options, data_dir=tmp_path / "a")
    s = whole.summaries["Cu"]
    assert (s["status"], s["engine"], s["potential"]) == ("completed", "ase", f"ase:{EAM}")
    frames = whole.replicas["Cu"][0]["frames"]
    assert [f["time_ps"] for f in frames] == pytest.approx([0.0, 0.01, 0.02, 0.03, 0.04])
    assert frames[0]["isolated_fraction"] == 1.0  # the first analysed frame is dispersed
    store = get_store(data_dir=tmp_path / "a")
    store.connect()
    md = store.query_one({"output.doc_type": "md_aggregation"}, properties=["output"])["output"]
    assert md["settings"]["engine"] == "ase" and md["settings"]["calculator"] == EAM
    assert md["n_steps_done"] == 40 and md["status"] == "completed"
    assert md["calculator_name"] == "lammps" and md["calculator_model"] == "licuzn-eam"
    # the LAMMPS engine's options do not pick up the ASE run, and the reverse
    assert aggregation.collect(store, _options(engine="lammps")).missing == ["Cu"]

    # interrupted after the first stored piece (a session that ends), then run again
    real = md_ase_job.run_ase_md
    workdirs = []

    def killed(atoms, settings, workdir, **kw):
        workdirs.append(workdir)
        real(atoms, settings, workdir, max_chunks=1, **kw)
        msg = "simulated end of session"
        raise RuntimeError(msg)

    monkeypatch.setattr(md_ase_job, "run_ase_md", killed)
    first = aggregation.run(options, data_dir=tmp_path / "b")
    assert "Cu" in first.missing
    # cut inside the start protocol: its first piece is stored, step 0 not yet
    assert (workdirs[0] / "prep.npz").is_file() and not (workdirs[0] / "state.npz").exists()
    assert workdirs[0].parent == (tmp_path / "b" / "runs" / "ase-md").resolve()
    monkeypatch.setattr(md_ase_job, "run_ase_md", real)
    resumed = aggregation.run(options, data_dir=tmp_path / "b")
    assert resumed.summaries["Cu"]["status"] == "completed"
    assert np.load(workdirs[0] / "state.npz")["step"] == 40
    a = read(next((tmp_path / "a" / "runs" / "ase-md").glob("*/li_traj.extxyz")), ":")
    b = read(workdirs[0] / "li_traj.extxyz", ":")
    assert len(a) == len(b) == 5
    assert max(np.abs(x.positions - y.positions).max() for x, y in zip(a, b, strict=True)) < 1e-6
    assert resumed.replicas["Cu"][0]["frames"] == frames
    # a third run reuses the stored replica: no new MD
    monkeypatch.setattr(md_ase_job, "run_ase_md", killed)
    again = aggregation.run(options, data_dir=tmp_path / "b")
    assert again.summaries["Cu"]["status"] == "completed" and len(workdirs) == 1


def test_an_alloy_slab_must_be_whole_abc_periods_before_any_job():
    with pytest.raises(ConfigurationError, match="n_layers=4 must be a positive multiple of 3"):
        aggregation.build_flows(
            _options(engine="lammps", materials=["Cu0.64Zn0.36"], n_layers=4, lateral_size=(5, 5))
        )
    aggregation.build_flows(_options(engine="lammps", materials=["Cu"], n_layers=4))  # Cu: any


def test_teacher_check_options_are_validated_before_any_job():
    from lithiophilic.studies.aggregation_teacher import TeacherCheck

    with pytest.raises(ValueError, match="ase_chunk_steps=25 must be a multiple of dump_every"):
        _options(engine="lammps", teacher=TeacherCheck(chunk_steps=25))
    with pytest.raises(ValueError, match="replicas"):
        TeacherCheck(replicas=1)
    with pytest.raises(ValueError, match="calculator: unknown name 'nosuch'"):
        TeacherCheck(calculator="nosuch")
    with pytest.raises(ValueError, match=r"lattice_calculator: .*'nosuch'"):
        _options(lattice_calculator="nosuch")


def test_teacher_check_puts_both_sides_on_the_teachers_lattice_by_default():
    from lithiophilic.studies.aggregation_teacher import TeacherCheck, side_options

    options = _options(engine="lammps", teacher=TeacherCheck())
    for side in ("teacher", "potential"):
        assert side_options(options, side).lattice_calculator == "sevenn"
    own = _options(engine="lammps", teacher=TeacherCheck(lattice_from="potential"))
    assert side_options(own, "teacher").lattice_calculator is None
    # the production runs keep the potential's own lattice
    assert options.lattice_calculator is None


@pytest.mark.slow
def test_teacher_check_runs_both_sides_on_the_identical_system_and_gates_the_claim(tmp_path):
    from lithiophilic.studies.aggregation_teacher import TeacherCheck

    check = TeacherCheck(
        calculator=EAM, lateral_size=(5, 5), n_layers=3, time_ps=0.2, replicas=2, chunk_steps=50
    )
    # 2 workers: the production replicas, then the check's ASE replicas, side by side
    options = _options(
        engine="lammps", time_ps=0.2, replicas=2, teacher=check, workers=min(2, os.cpu_count() or 1)
    )
    flows = aggregation.build_flows(options)
    assert sorted(flows) == [
        "Cu",
        f"Cu [potential, ASE lammps:{options.potential}]",
        f"Cu [teacher, ASE {EAM}]",
    ]
    result = aggregation.run(options, data_dir=tmp_path / "data", flows=flows)
    t = result.teacher
    assert (t["teacher"], t["potential"], t["missing"]) == (f"ase:{EAM}", f"ase:{EAM}", [])
    assert len(t["rows"]) == len(options.analysis_cutoffs_a)
    # the teacher here is the potential itself: the same system gives the same numbers
    for row in t["rows"]:
        for q in ("r0_per_ps", "k_per_ps", "phi_inf"):
            assert row[f"teacher_{q}"] == row[f"potential_{q}"]
    assert t["match"] is not False
    assert t["settings"]["calculator"] == EAM
    # the report shows the check side by side (one row per cutoff) and the diffusion beside
    (check_rows, diffusion) = aggregation.extra_tables(result).values()
    assert [r["cutoff_a"] for r in check_rows] == list(options.analysis_cutoffs_a)
    assert all(r["teacher_phi_inf"] == r["potential_phi_inf"] for r in check_rows)
    assert [d["material"] for d in diffusion] == ["Cu"]
    labels = {r["material"] for r in aggregation.table_rows(result)}
    assert labels == {"Cu", f"Cu [teacher: ase:{EAM}]", f"Cu [potential: ase:{EAM}]"}
    # the production rate (LAMMPS) is not mixed with the teacher check's (ASE)
    assert result.summaries["Cu"]["engine"] == "lammps"
    # another teacher is not in the store, nor the potential on that teacher's lattice: the
    # check is undecided and says what is missing
    store = get_store(data_dir=tmp_path / "data")
    store.connect()
    sevenn = check.model_copy(update={"calculator": "sevenn"})
    other = _options(engine="lammps", time_ps=0.2, replicas=2, teacher=sevenn)
    t2 = aggregation.collect(store, other).teacher
    assert t2["match"] is None and t2["missing"] == ["Cu (teacher)", "Cu (potential)"]
    # another potential checked against the same teacher: the teacher's runs answer from the
    # store (one slab, on the teacher's lattice, whichever potential), only its side runs
    md_docs = {d["uuid"] for d in store.query({"output.doc_type": "md_aggregation"})}
    subs = list(store.query({"output.doc_type": "md_substrate"}, properties=["output"]))
    assert {d["output"]["lattice_constant_source"] for d in subs} >= {
        f"E(V) scan with {EAM}",
        f"E(V) scan with {options.potential}",
    }
    store.close()
    li3b = _options(engine="lammps", time_ps=0.2, replicas=2, teacher=check)
    li3b = li3b.model_copy(update={"potential": "licuzn-eam-li3b"})
    flows = {k: v for k, v in aggregation.build_flows(li3b).items() if "ASE" in k}
    again = aggregation.run(li3b, data_dir=tmp_path / "data", flows=flows).teacher
    store.connect()
    new = [
        d["output"]
        for d in store.query({"output.doc_type": "md_aggregation"}, properties=["uuid", "output"])
        if d["uuid"] not in md_docs
    ]
    teacher_side = [d for d in new if d["settings"]["calculator"] == EAM]
    assert len(teacher_side) == 2 and all(d["reused_from_uuid"] in md_docs for d in teacher_side)
    assert [d["reused_from_uuid"] for d in new if d not in teacher_side] == [None, None]
    assert again["potential"] == "ase:lammps:licuzn-eam-li3b" and again["missing"] == []
    assert [r["teacher_k_per_ps"] for r in again["rows"]] == [
        r["teacher_k_per_ps"] for r in t["rows"]
    ]
