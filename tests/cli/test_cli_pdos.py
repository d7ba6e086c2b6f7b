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
        (
            ["--calculator", "sevenn"],
            "calculator: 'sevenn' cannot compute a PDOS; use one of ['gpaw', 'vasp']",
        ),
        (
            ["--calculator", "emt"],
            "calculator: 'emt' cannot compute a PDOS; use one of ['gpaw', 'vasp']",
        ),
        (["--preset", "slow"], "unknown preset"),
        (["--material", "Unobtainium"], "Unobtainium"),
        (["--ecut", "-5"], "ecut_ev=-5.0 is not allowed"),
        (["--width", "0"], "width_ev"),
        (["--structure", "/nonexistent/slab.cif"], "does not exist"),
        (["--relax-max-atoms", "-1"], "relax_max_atoms"),
    ],
)
def test_pdos_bad_input_exits_2_and_stores_nothing(tmp_path, args, match):
    data = tmp_path / "db"
    res = runner.invoke(app, ["pdos", *args, "--data-dir", str(data)])
    assert res.exit_code == 2, res.output
    assert match in " ".join(res.output.split())
    assert not data.exists()


def test_pdos_options_map_the_command_parameters(tmp_path):
    from lithiophilic import defaults
    from lithiophilic.cli.common import STUDY_COMMANDS
    from lithiophilic.cli.pdos import pdos_options
    from lithiophilic.studies import pdos

    assert STUDY_COMMANDS["pdos"].study is pdos
    assert pdos_options().materials == list(defaults.PAPER_MATERIALS)
    slab = tmp_path / "slab.cif"
    options = pdos_options(structure_file=[slab], ecut=400.0, width=0.2)
    assert options.materials == [str(slab)]  # a structure alone: not the paper's materials
    assert (options.ecut_ev, options.kpt_density_a, options.width_ev) == (400.0, None, 0.2)
    assert options.dos_kpt_density_a == 8.0
    # --quick: the quick preset; explicit settings win, the DOS is on the SCF mesh
    quick = pdos_options(material=["Cu"], quick=True, kpt_density=3.0, nprocs=1)
    assert quick == pdos.Options.quick(materials=["Cu"], kpt_density_a=3.0, nprocs=1)
    assert quick.dos_kpt_density_a is None and quick.dos_kpt_density_for(26) == 3.0


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


@pytest.mark.slow
def test_quick_pdos_of_bulk_cu_uses_a_dense_dos_mesh(tmp_path):
    """--quick: a 1-atom cell still gets a fixed-density DOS run on a dense mesh."""
    out = tmp_path / "pdos.json"
    res = runner.invoke(
        app,
        ["pdos", "-m", "Cu", "--quick", "--nprocs", "1", "--json", str(out),
         "--data-dir", str(tmp_path / "d"), "--out", str(tmp_path / "o"), "--quiet"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert set(data) == {"definition", "rows", "materials", "failed"} and not data["failed"]
    assert (tmp_path / "o" / "fig5b_pdos.png").is_file() and (tmp_path / "o" / "pdos.csv").is_file()
    doc = data["materials"]["Cu"]
    assert doc["dos_run"] == "fixed-density"
    assert doc["dos_kpt_density_a"] == 6.0 and min(doc["dos_kpts"]) > 2 * min(doc["scf_kpts"])
    cu = doc["elements"]["Cu"]
    assert 0.15 < cu["dos_at_fermi_states_per_ev_atom"] < 0.35  # s+p+d in the sphere; ~0.25
    assert -3.0 < cu["d_band_centre_ev"] < -2.0
