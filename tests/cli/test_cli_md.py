"""CLI: md-aggregation and aggregation analyze (real LAMMPS, real database files)."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from lithiophilic.cli import app

runner = CliRunner()
POT = "meam-library-licu"


def _dump(path, frames, cell, elements):
    with gzip.open(path, "wt") as fh:
        for step, pos in enumerate(frames):
            fh.write(f"ITEM: TIMESTEP\n{step * 500}\nITEM: NUMBER OF ATOMS\n{len(pos)}\n")
            fh.write(f"ITEM: BOX BOUNDS pp pp ff\n0 {cell[0]}\n0 {cell[1]}\n0 {cell[2]}\n")
            fh.write("ITEM: ATOMS id type element x y z\n")
            for k, (p, el) in enumerate(zip(pos, elements, strict=True)):
                fh.write(f"{k + 1} 1 {el} {p[0]} {p[1]} {p[2]}\n")


def test_analyze_writes_per_frame_counts(tmp_path):
    cell = (20.0, 20.0, 30.0)
    apart = np.array([[2, 2, 10], [8, 2, 10], [2, 8, 10], [8, 8, 10]], float)
    together = np.array([[19.0, 2, 10], [1.0, 2, 10], [2, 8, 10], [8, 8, 10]])  # pair across x
    path = tmp_path / "t.lammpstrj.gz"
    _dump(path, [apart, together, together], cell, ["Li"] * 4)
    out = tmp_path / "a.json"
    res = runner.invoke(
        app,
        [
            "aggregation",
            "analyze",
            str(path),
            "--cutoff",
            "3.0",
            "--timestep-fs",
            "1",
            "--json",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert [f["n_clusters"] for f in doc["frames"]] == [4, 3, 3]
    assert doc["frames"][1]["time_ps"] == pytest.approx(0.5)
    assert "rate" in doc
    assert "phi_inf" in doc["definition"]  # the plateau fit (issue 19)
    assert {"k_per_ps", "phi_inf", "t_half_ps", "r0_per_ps"} <= set(doc["rate"])


def test_analyze_bad_trajectories_exit_2(tmp_path):
    path = tmp_path / "t.lammpstrj.gz"
    _dump(path, [np.array([[1.0, 1, 1]])] * 30, (10, 10, 10), ["Cu"])
    res = runner.invoke(app, ["aggregation", "analyze", str(path), "--cutoff", "3"])
    assert res.exit_code == 2
    assert "no Li" in res.output
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    res = runner.invoke(app, ["aggregation", "analyze", str(path), "--cutoff", "3"])
    assert res.exit_code == 2
    assert "truncated" in res.output


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--potential", "nope"], "'nope' is not registered"),
        (["--potential", POT, "--timestep-fs", "6"], "timestep_fs"),
        (["--potential", POT, "--thermostat", "berendsen"], "thermostat"),
        (["--potential", POT, "--replicas", "0"], "replicas"),
        (["--potential", POT, "--n-li", "500"], "n_li=500"),
        (["--potential", POT, "-m", "Cu0.64Zn0.36"], "Zn"),
        (["--potential", POT, "--lateral", "15by"], "lateral"),
    ],
)
def test_md_aggregation_bad_input_exit_2_nothing_stored(tmp_path, args, match):
    ddir = tmp_path / "db"
    res = runner.invoke(app, ["md-aggregation", "-m", "Cu", *args, "--data-dir", str(ddir)])
    assert res.exit_code == 2, res.output
    assert match in " ".join(res.output.split())
    assert not ddir.exists()


@pytest.mark.slow
def test_md_aggregation_quick_run(in_tmp):
    out = in_tmp / "md.json"
    res = runner.invoke(
        app,
        [
            "md-aggregation",
            "-m",
            "Cu",
            "--quick",
            "--potential",
            POT,
            "--lateral",
            "6x6",
            "--n-li",
            "6",
            "--time-ps",
            "0.3",
            "--json",
            str(out),
            "--out",
            str(in_tmp / "figs"),
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    s = doc["summaries"]["Cu"]
    assert s["n_completed"] == 3  # --quick: at most 3 replicas
    assert s["validated_for_science"] is False
    assert len(doc["replicas"]["Cu"]) == 3
    assert len(doc["replicas"]["Cu"][0]["frames"]) == 16  # 0.3 ps, a frame every 20 fs (quick)
    assert (in_tmp / "figs" / "fig5f_li_aggregation.png").stat().st_size > 10_000
    assert (in_tmp / "figs" / "fig5g_li_snapshots.png").stat().st_size > 10_000


@pytest.mark.slow
def test_md_aggregation_blow_up_exits_1_and_keeps_failed_doc(in_tmp):
    from lithiophilic.db import get_store

    ddir = in_tmp / "db"
    res = runner.invoke(
        app,
        [
            "md-aggregation",
            "-m",
            "Cu",
            "--quick",
            "--potential",
            POT,
            "--lateral",
            "5x5",
            "--n-li",
            "4",
            "--time-ps",
            "2",
            "--replicas",
            "1",
            "--temperature-k",
            "20000",
            "--data-dir",
            str(ddir),
        ],
    )
    assert res.exit_code == 1, res.output
    assert "MD failed" in res.output
    store = get_store(data_dir=ddir)
    doc = store.query_one({"output.doc_type": "md_aggregation"})
    assert doc["output"]["status"] == "failed"
    assert doc["output"]["converged"] is False
    assert doc["output"]["frames"] == []
    assert doc["output"]["n_steps_done"] < 2000
    full = store.get_output(doc["uuid"], load=True)
    assert len(full["trajectory"]["content"]) > 100  # the partial trajectory is kept
    summary = store.query_one({"output.doc_type": "aggregation_rate"})["output"]
    assert summary["status"] == "failed"
    assert summary["k_per_ps"] is None


def test_md_options_map_the_command_parameters():
    from lithiophilic.cli.common import STUDY_COMMANDS
    from lithiophilic.cli.md import md_options
    from lithiophilic.studies import aggregation

    assert md_options() == aggregation.Options()
    quick = md_options(material=["Cu"], quick=True, lateral="6x6", time_ps=50.0, cutoff=3.3)
    assert quick == aggregation.Options.quick(
        materials=["Cu"], lateral_size=(6, 6), time_ps=50.0, cutoff_a=3.3
    )
    assert (quick.time_ps, quick.lateral_size, quick.n_layers) == (5.0, (6, 6), 3)
    command = STUDY_COMMANDS["md-aggregation"]
    assert command.study is aggregation
    assert command.options_from_params({"n_li": 4, "json_file": None}).n_li == 4
