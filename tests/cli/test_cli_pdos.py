"""CLI: 'lithiophilic pdos' and 'dft-converge' bad input (exit 2, nothing stored)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lithiophilic.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--calculator", "sevenn"], "cannot compute a PDOS"),
        (["--preset", "slow"], "unknown preset"),
        (["--material", "Unobtainium"], "Unobtainium"),
        (["--ecut", "-5"], "ecut_ev=-5.0 is not allowed"),
        (["--width", "0"], "width_ev must be > 0"),
        (["--structure", "/nonexistent/slab.cif"], "does not exist"),
        (["--relax-max-atoms", "-1"], "relax-max-atoms"),
    ],
)
def test_pdos_bad_input_exits_2_and_stores_nothing(tmp_path, args, match):
    data = tmp_path / "db"
    res = runner.invoke(app, ["pdos", *args, "--data-dir", str(data)])
    assert res.exit_code == 2, res.output
    assert match in " ".join(res.output.split())
    assert not data.exists()


def test_dft_converge_runs_and_rejects_bad_parameter(tmp_path):
    res = runner.invoke(app, ["dft-converge", "--parameter", "cutoff", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "is not one of" in res.output
    out = tmp_path / "conv.json"
    res = runner.invoke(
        app,
        [
            "dft-converge",
            "--parameter",
            "kpts",
            "--values",
            "1.0,1.5",
            "--out",
            str(tmp_path),
            "--json",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(out.read_text())["rows"]
    assert [r["value"] for r in rows] == [1.0, 1.5] and rows[1]["delta_per_atom_mev"] is not None
