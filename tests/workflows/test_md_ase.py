"""ASE-engine aggregation MD in restartable chunks (issue 19 item 3), with the shipped EAM."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from ase.io import read

from lithiophilic.errors import ConfigurationError
from lithiophilic.workflows.md_ase import (
    AseMdSettings,
    aggregation_system,
    analyze_ase_md,
    make_calculator,
    run_ase_md,
)

EAM = "lammps:licuzn-eam"


@pytest.fixture(scope="module")
def system():
    return aggregation_system("Cu", lateral_size=(4, 4), n_layers=3, seed=3)


def _final(workdir):
    with np.load(workdir / "state.npz") as d:
        return d["positions"].copy(), d["velocities"].copy(), int(d["step"])


def test_settings_are_checked():
    with pytest.raises(ConfigurationError, match="dump_every"):
        AseMdSettings(EAM, chunk_steps=20, dump_every=7)
    with pytest.raises(ConfigurationError, match="timestep_fs"):
        AseMdSettings(EAM, timestep_fs=0.0)


@pytest.mark.slow
def test_two_chunks_equal_one_run_and_a_rerun_continues(system, tmp_path):
    one = AseMdSettings(EAM, n_steps=40, chunk_steps=40, dump_every=10, equilibration_steps=10)
    two = dataclasses.replace(one, chunk_steps=20)
    r1 = run_ase_md(system, one, tmp_path / "one")
    assert r1["status"] == "completed"
    # two sessions: the first stops after one chunk, the second (new calculator) continues
    first = run_ase_md(system, two, tmp_path / "two", max_chunks=1)
    while first["step"] == 0:  # start-protocol pieces, then step 0 stored
        first = run_ase_md(system, two, tmp_path / "two", max_chunks=1)
    assert (first["status"], first["step"]) == ("running", 20)
    second = run_ase_md(system, two, tmp_path / "two", calc=make_calculator(EAM))
    assert (second["status"], second["step"]) == ("completed", 40)
    x1, v1, _ = _final(tmp_path / "one")
    x2, v2, _ = _final(tmp_path / "two")
    assert np.abs(x1 - x2).max() < 1e-6
    assert np.abs(v1 - v2).max() < 1e-9
    assert not np.allclose(x1, system.positions)  # it moved
    # the Li are integrated, the fixed plane is not
    fixed = system.constraints[0].index
    assert np.allclose(x1[fixed], read(tmp_path / "one" / "start.extxyz").positions[fixed])
    # a completed run is not rerun; other settings in the same directory are refused
    assert run_ase_md(system, two, tmp_path / "two")["step"] == 40
    with pytest.raises(ConfigurationError, match="other settings"):
        run_ase_md(system, dataclasses.replace(two, seed=9), tmp_path / "two")
    # the same per-frame cluster analysis as the LAMMPS path; the first frame is dispersed
    res = analyze_ase_md(tmp_path / "two", cutoff_a=3.3)
    frames = res["clusters"]["frames"]
    assert [f["time_ps"] for f in frames] == pytest.approx([0.0, 0.01, 0.02, 0.03, 0.04])
    assert frames[0]["isolated_fraction"] == 1.0
    assert res["kinetics"]["n_frames"] == 5


@pytest.mark.slow
def test_the_start_protocol_continues_from_stored_pieces(system, tmp_path):
    """A start cut after any piece (minimiser or thermalisation) continues with the same bits."""
    one = AseMdSettings(EAM, n_steps=10, chunk_steps=10, dump_every=5, equilibration_steps=12)
    pieces = dataclasses.replace(one, chunk_steps=3, dump_every=1)
    run_ase_md(system, one, tmp_path / "one")
    seen = []
    while True:  # every call is a new session: one piece, a new calculator
        r = run_ase_md(system, pieces, tmp_path / "two", max_chunks=1, calc=make_calculator(EAM))
        seen.append((r["status"], r["step"], (tmp_path / "two" / "prep.npz").is_file()))
        if r["status"] != "starting" and r["step"] == 10:
            break
    start = [s for s in seen if s[0] == "starting"]
    extra = np.load(tmp_path / "two" / "state.npz")["extra"]
    info = json.loads(str(extra))
    # the minimiser needed several pieces (so its Hessian was restored), then 4 of thermalisation
    assert info["minimization_steps"] > 3
    assert len(start) >= info["minimization_steps"] // 3 + 3
    assert all(s[2] for s in start)  # each unfinished start is stored ...
    assert not (tmp_path / "two" / "prep.npz").exists()  # ... and removed once step 0 is
    assert seen[len(start)] == ("running", 0, False)
    info_one = json.loads(str(np.load(tmp_path / "one" / "state.npz")["extra"]))
    for k in ("minimization_steps", "minimization_converged"):
        assert info[k] == info_one[k]
    assert info["substrate_temperature_after_equilibration_k"] == pytest.approx(
        info_one["substrate_temperature_after_equilibration_k"], abs=1e-6
    )
    x1, v1, _ = _final(tmp_path / "one")
    x2, v2, _ = _final(tmp_path / "two")
    assert np.abs(x1 - x2).max() < 1e-6
    assert np.abs(v1 - v2).max() < 1e-9


@pytest.mark.slow
def test_a_failed_check_stops_and_is_never_analysed(system, tmp_path):
    s = AseMdSettings(
        EAM, n_steps=40, chunk_steps=20, dump_every=10, equilibration_steps=0, li_max_height_a=0.5
    )
    r = run_ase_md(system, s, tmp_path)
    assert r["status"] == "failed"
    assert "above the top plane" in r["failure"]
    assert r["step"] == 20
    with pytest.raises(ConfigurationError, match="not completed"):
        analyze_ase_md(tmp_path, cutoff_a=3.3)
