from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lithiophilic.cli import app, parse_miller
from lithiophilic.errors import ConfigurationError

runner = CliRunner()
EXE = Path(sys.executable).parent / "lithiophilic"


def _db_has_results(data_dir: Path) -> bool:
    if not data_dir.exists():
        return False
    from lithiophilic.db import get_store, list_results

    return bool(list_results(get_store(data_dir=data_dir)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("111", (1, 1, 1)), ("1,-1,0", (1, -1, 0)), ("(1-10)", (1, -1, 0)), ("2 1 1", (2, 1, 1))],
)
def test_parse_miller(text, expected):
    assert parse_miller(text) == expected


@pytest.mark.parametrize("text", ["000", "11", "1a1", "1111"])
def test_parse_miller_rejects(text):
    with pytest.raises(ConfigurationError, match="miller"):
        parse_miller(text)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["-m", "Unobtainium"], "Unobtainium"),
        (["-m", "Cu0.5Zn0.4"], "sum"),
        (["-m", "Cu0.6Xx0.4"], "Xx"),
        (["-m", "Cu", "--miller", "000"], "miller"),
        (["-m", "Cu", "--vacuum", "5"], "vacuum_a"),
        (["-m", "Cu", "--n-layers", "3", "--n-fixed-layers", "3"], "n_layers"),
        (["-m", "Cu", "--calculator", "nosuch"], "unknown name 'nosuch'"),
        (["-m", "Cu", "--calculator", "mace"], "needs the package 'mace-torch'"),
        (["-m", "Cu5Zn8", "--calculator", "emt"], "not valid for element"),
    ],
)
def test_bad_input_exits_nonzero_and_stores_nothing(tmp_path, args, match):
    data = tmp_path / "data"
    res = runner.invoke(app, ["surface-energy", *args, "--data-dir", str(data)])
    assert res.exit_code == 2, res.output
    assert match in " ".join(res.output.split())
    assert not _db_has_results(data)


def test_structures_build(tmp_path):
    res = runner.invoke(app, ["structures", "build", "Cu5Zn8", "--out", str(tmp_path / "g.cif")])
    assert res.exit_code == 0, res.output
    from ase.io import read

    atoms = read(tmp_path / "g.cif")
    assert len(atoms) == 52
    assert "217" in res.output
    res = runner.invoke(app, ["structures", "build", "Cu", "--out", str(tmp_path / "g.pdf")])
    assert res.exit_code == 2 and "suffix" in res.output


def test_results_persist_across_processes(tmp_path):
    """A campaign run in one process is read back by another process and by this one."""
    data = tmp_path / "data"
    env = {**os.environ, "LITHIOPHILIC_DATA": str(data)}
    env.pop("LITHIOPHILIC_STORE", None)
    run = subprocess.run(
        [
            str(EXE),
            "surface-energy",
            "-m",
            "Cu",
            "--miller",
            "111",
            "--calculator",
            "emt",
            "--n-layers",
            "4",
            "--n-fixed-layers",
            "1",
            "--json",
            str(tmp_path / "se.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    rows = json.loads((tmp_path / "se.json").read_text())["rows"]
    assert len(rows) == 1 and 0.5 < rows[0]["gamma_relaxed_j_per_m2"] < 2.0
    assert (data / "reports" / "fig5a_surface_energies.png").stat().st_size > 5000
    shown = subprocess.run(
        [str(EXE), "results", "--json", str(tmp_path / "all.json")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "surface_energy" in shown.stdout
    exported = json.loads((tmp_path / "all.json").read_text())
    types = {d["output"]["doc_type"] for d in exported}
    assert {"surface_energy", "surface_energy_summary", "ase_calc"} <= types
    from lithiophilic.db import get_store
    from lithiophilic.studies.surface import surface_energy_rows

    (row,) = surface_energy_rows(get_store(data_dir=data))
    assert row["gamma_relaxed_j_per_m2"] == pytest.approx(rows[0]["gamma_relaxed_j_per_m2"])


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["-m", "Cu", "--miller", "000"], "miller"),
        (["-m", "Cu", "--calculator", "emt"], "not valid for element"),
        (["-m", "Nope"], "Nope"),
        (["-m", "Cu", "--layers", "11"], "layers: 11 is outside the allowed range 1–10"),
        (["-m", "Cu", "--layers", "-1"], "layers: -1 is outside"),
        (["-m", "Cu", "--construction", "fcc"], "construction: Input should be 'bcc110' or"),
        (["-m", "Cu", "--layers", "2", "--li-max-strain", "0.6"], "li_max_strain: 0.6 is outside"),
        (["-m", "Cu", "--layers", "2", "--li-growth", "random"], "li_growth: Input should be"),
        (["-m", "Cu", "--li-fmax", "0"], "li_fmax_ev_per_a: 0.0 eV/Å is outside"),
        (["-m", "Cu", "--refine-calculator", "nope"], "unknown name 'nope'"),
        (["-m", "Cu", "--refine-calculator", "emt"], "not valid for element"),
        (["-m", "Cu", "--refine-calculator", "chgnet", "--refine-top-k", "0"], "refine_top_k"),
    ],
)
def test_binding_bad_input(tmp_path, args, match):
    data = tmp_path / "data"
    res = runner.invoke(app, ["binding", *args, "--data-dir", str(data)])
    assert res.exit_code == 2, res.output
    assert match in " ".join(res.output.split())
    assert not _db_has_results(data)


def test_binding_options_map_the_command_parameters():
    """binding's parameters -> the two studies' Options (the quick γ-brass strain rule)."""
    from lithiophilic import defaults
    from lithiophilic.cli.binding import binding_options, binding_study_options
    from lithiophilic.cli.common import STUDY_COMMANDS
    from lithiophilic.studies import binding, li_layers, li_sites

    sites = binding_options(material=["Cu"], miller=["100", "111"], quick=True, max_sites=2)
    assert sites == li_sites.Options.quick(
        materials=["Cu"], millers=[[1, 0, 0], [1, 1, 1]], max_sites=2
    )
    assert binding_options(li_fmax=0.02).li_fmax_ev_per_a == 0.02
    assert binding_study_options(material=["Cu"]).layers is None
    opts = binding_study_options(material=["Cu"], quick=True, layers=3)
    assert opts.layers == li_layers.Options.quick(sites=opts.sites, layers=3)
    assert opts.layers.complex_li_max_strain == defaults.QUICK_LI_MAX_STRAIN
    given = binding_study_options(quick=True, layers=2, li_max_strain=0.06).layers
    assert (given.li_max_strain, given.complex_li_max_strain) == (0.06, None)
    command = STUDY_COMMANDS["binding"]
    assert command.study is binding
    params = {"material": ["Cu"], "layers": 1, "quick": True, "json_file": None, "quiet": True}
    assert sorted(command.study.build_flows(command.options_from_params(params))) == [
        "Cu 111",
        "Cu layers",
    ]


@pytest.mark.mlip
@pytest.mark.slow
def test_binding_with_layers_json_figures_and_api(tmp_path):
    """binding --quick --layers 1 on Cu: the --json keys, Fig. 5c/5d/5e, the API reads the same."""
    from lithiophilic.db import get_store
    from lithiophilic.studies import binding, li_sites

    data, figs = tmp_path / "data", tmp_path / "figs"
    res = runner.invoke(
        app,
        ["binding", "-m", "Cu", "--quick", "--max-sites", "1", "--layers", "1", "--quiet",
         "--data-dir", str(data), "--json", str(tmp_path / "b.json"), "--out", str(figs)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "b.json").read_text())
    assert set(doc) == {"definition", "summaries", "prescreens", "multilayers", "failed"}
    assert doc["failed"] == {} and doc["prescreens"] == []
    (layers,) = doc["multilayers"]
    assert "relaxed_structures" not in layers
    assert layers["construction"] == "bcc110" and layers["n_layers"] == [0, 1]
    assert layers["incremental_binding_energy_ev"][0] > 0  # Li wets Cu(111)
    for name in ("fig5c_li_binding.png", "fig5d_li_layers.png", "fig5e_li_layers.png"):
        assert (figs / name).stat().st_size > 5000, name
    assert "Li layers on (111)" in res.output
    sites = li_sites.Options.quick(materials=["Cu"], max_sites=1)
    options = binding.Options.quick(sites=sites, layers={"layers": 1})
    result = binding.collect(get_store(data_dir=data), options)
    assert result.complete
    stored = binding.payload(result)
    assert stored["summaries"] == doc["summaries"]
    assert stored["multilayers"][0]["energies_ev"] == layers["energies_ev"]
    assert set(result.layers.final_structures) == {"Cu"}


def test_paper_bad_stage_exits_2(tmp_path):
    res = runner.invoke(app, ["paper", "--stage", "nope", "--out", str(tmp_path / "r")])
    assert res.exit_code == 2
    assert "stages" in res.output and "nope" in res.output


def test_paper_failed_stage_still_writes_report(tmp_path):
    """A stage that fails (EMT has no Zn) is reported; the report is written; exit 1."""
    out_dir = tmp_path / "report"
    res = runner.invoke(
        app,
        [
            "paper",
            "--stage",
            "surface",
            "--calculator",
            "emt",
            "--out",
            str(out_dir),
            "--data-dir",
            str(tmp_path / "data"),
        ],
    )
    assert res.exit_code == 1, res.output
    text = (out_dir / "report.md").read_text()
    assert "failed (exit 2" in text
    assert "not run" in text
    assert (out_dir / "report.html").is_file()
    log = (out_dir / "logs" / "surface.log").read_text()
    assert "not valid for element" in " ".join(log.split())
    assert not _db_has_results(tmp_path / "data")


def test_paper_bad_nprocs_exits_2(tmp_path):
    # the stages' presets, ranks and materials: tests/studies/test_paper.py
    res = runner.invoke(app, ["paper", "--nprocs", "0", "--out", str(tmp_path / "r")])
    assert res.exit_code == 2
    assert "nprocs" in res.output
