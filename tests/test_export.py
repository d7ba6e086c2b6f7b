"""Taking results out: relaxed structures as CIF/POSCAR/extxyz with their provenance.

Exports the legacy database (``tests/data/legacy/db_before_issue16``: Cu bulk, Cu(111) and
Cu(100) slabs, the Li reference and one Li site on Cu(111), all SevenNet-0), nothing is
recomputed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from ase.io import read
from pymatgen.core import Structure
from typer.testing import CliRunner

from lithiophilic.cli import app
from lithiophilic.db import export_structures, get_store, relaxed_structures
from lithiophilic.errors import ConfigurationError

LEGACY = Path(__file__).parent / "data" / "legacy" / "db_before_issue16"

EXPECTED_STEMS = {
    "bulk_Cu_sevenn-7net-0_57546464",
    "bulk_Li-reference_sevenn-7net-0_d5bd3f92",
    "slab_Cu_111_t0-n4_sevenn-7net-0_f3c5217a",
    "slab_Cu_100_t0-n4_sevenn-7net-0_0e67cbfb",
    "li-site_Cu_111_ontop-0_sevenn-7net-0_d40737c0",
}


@pytest.fixture
def legacy(tmp_path):
    data = tmp_path / "db"
    shutil.copytree(LEGACY, data)
    return data


def _relaxations(data: Path) -> dict[str, dict]:
    """Stored relaxation documents by the hash of their final structure (first computed)."""
    out: dict[str, dict] = {}
    for doc in get_store(data_dir=data).query(
        {"output.doc_type": "ase_calc", "output.task": "relax"}, sort={"completed_at": 1}
    ):
        out.setdefault(doc["output"]["structure_hash"], {**doc["output"], "uuid": doc["uuid"]})
    return out


def test_every_relaxed_structure_is_exported_once_with_its_description(legacy):
    entries, skipped = relaxed_structures(get_store(data_dir=legacy))
    assert skipped == 0
    kinds = sorted(
        (e["kind"], e["material"], e.get("facet", ""), e.get("site", "")) for e in entries
    )
    assert kinds == [
        ("bulk", "Cu", "", ""),
        ("bulk", "Li reference", "", ""),
        ("li-site", "Cu", "111", "ontop-0"),
        ("slab", "Cu", "100", ""),
        ("slab", "Cu", "111", ""),
    ]
    # the binding flow's clean Cu(111) slab reused the surface relaxation: one file, its uuid
    slab = next(e for e in entries if e["kind"] == "slab" and e["facet"] == "111")
    assert (
        slab["termination"] == "t0-n4"
        and slab["uuid"] == _relaxations(legacy)[slab["structure_hash"]]["uuid"]
    )


def test_extxyz_carries_energy_calculator_cache_key_and_uuid(legacy, tmp_path):
    paths = export_structures(get_store(data_dir=legacy), tmp_path / "x", fmt="extxyz")
    assert {p.stem for p in paths} == EXPECTED_STEMS
    docs = _relaxations(legacy)
    for path in paths:
        atoms = read(path, format="extxyz")
        doc = docs[atoms.info["structure_hash"]]
        assert atoms.info["energy_ev"] == pytest.approx(doc["energy_ev"], abs=1e-10)
        assert atoms.info["calculator"] == "sevenn" and atoms.info["model"] == "7net-0"
        assert atoms.info["cache_key"] == doc["cache_key"]
        assert atoms.info["uuid"] == (doc["reused_from_uuid"] or doc["uuid"])
        stored = Structure.from_dict(doc["structure"])
        assert np.allclose(atoms.positions, stored.cart_coords, atol=1e-6)
        assert atoms.get_chemical_formula() == stored.to_ase_atoms().get_chemical_formula()
    manifest = json.loads((tmp_path / "x" / "manifest.json").read_text())
    assert {Path(m["file"]).stem for m in manifest} == EXPECTED_STEMS


def test_poscar_comment_and_cif_block_name_hold_the_provenance(legacy, tmp_path):
    store = get_store(data_dir=legacy)
    docs = _relaxations(legacy)
    for path in export_structures(store, tmp_path / "p", fmt="poscar"):
        assert path.suffix == ".vasp"
        comment = path.read_text().splitlines()[0]
        doc = docs[comment.split("structure_hash=")[1].split()[0]]
        assert f"cache_key={doc['cache_key']}" in comment and "calculator=sevenn" in comment
        assert f"energy_ev={doc['energy_ev']}" in comment
        assert (
            Structure.from_file(path).composition
            == Structure.from_dict(doc["structure"]).composition
        )
    for path in export_structures(store, tmp_path / "c", fmt="cif"):
        text = path.read_text()
        assert f"data_{path.stem}\n" in text and "# cache_key: " in text
        cif = Structure.from_file(path)
        assert cif.num_sites == len(read(tmp_path / "p" / f"{path.stem}.vasp"))


def test_bad_format_is_refused_before_anything_is_written(legacy, tmp_path):
    with pytest.raises(ConfigurationError, match="format: 'xyz' is not one of cif, poscar"):
        export_structures(get_store(data_dir=legacy), tmp_path / "o", fmt="xyz")
    res = CliRunner().invoke(
        app,
        ["db", "export", "--structures", str(tmp_path / "o"), "--format", "xyz", "--data-dir",
         str(tmp_path / "new")],
    )  # fmt: skip
    assert res.exit_code == 2 and "format" in res.output and "extxyz" in res.output
    assert not (tmp_path / "o").exists() and not (tmp_path / "new").exists()
    res = CliRunner().invoke(app, ["db", "export", "--data-dir", str(legacy)])
    assert res.exit_code == 2 and "--structures" in res.output


def test_cli_exports_structures_and_an_empty_database_says_so(legacy, tmp_path):
    res = CliRunner().invoke(
        app,
        ["db", "export", str(tmp_path / "all.json"), "--structures", str(tmp_path / "s"),
         "--format", "cif", "--data-dir", str(legacy)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert {p.stem for p in (tmp_path / "s").glob("*.cif")} == EXPECTED_STEMS
    assert json.loads((tmp_path / "all.json").read_text())  # the JSON export still works
    res = CliRunner().invoke(
        app,
        [
            "db",
            "export",
            "--structures",
            str(tmp_path / "e"),
            "--data-dir",
            str(tmp_path / "empty"),
        ],
    )
    assert res.exit_code == 0
    assert "no converged relaxed structure" in res.output and not (tmp_path / "e").exists()


# --------------------------------------------------------------------------- figures
MAGIC = {"pdf": b"%PDF-", "svg": b"<?xml", "png": b"\x89PNG\r\n\x1a\n"}


def test_surface_figures_in_pdf_and_svg_from_stored_results(legacy, tmp_path):
    from matplotlib.figure import Figure

    from lithiophilic.analysis.surface import surface_energies_figure
    from lithiophilic.studies import surface

    result = surface.collect(get_store(data_dir=legacy), surface.Options.quick(materials=["Cu"]))
    assert {tuple(r["miller"]) for r in result.rows} == {(1, 1, 1), (1, 0, 0)}
    for fmt in ("pdf", "svg", "png"):
        paths = surface.figures(result, tmp_path / fmt, format=fmt)
        assert paths["5a"].suffix == f".{fmt}"
        assert paths["5a"].read_bytes().startswith(MAGIC[fmt])
    assert b"<svg" in (tmp_path / "svg" / "fig5a_surface_energies.svg").read_bytes()[:1000]
    fig = surface_energies_figure(result.rows)
    assert isinstance(fig, Figure)
    (bar_axis,) = fig.axes
    heights = sorted(p.get_height() for p in bar_axis.patches)
    assert heights == pytest.approx(sorted(r["gamma_relaxed_j_per_m2"] for r in result.rows))
    with pytest.raises(ConfigurationError, match="format: 'jpg' is not one of png, pdf, svg"):
        surface.figures(result, tmp_path / "bad", format="jpg")
    assert not (tmp_path / "bad").exists()  # checked before the CSV is written


def test_plot_functions_write_by_suffix_and_refuse_other_suffixes(tmp_path):
    from lithiophilic.analysis.binding import layer_binding_figure, plot_layer_binding

    data = {
        "Cu(111)": {
            "incremental_binding_energy_ev": [0.5, 0.2],
            "average_binding_energy_ev": [0.5, 0.35],
        }
    }
    fig = layer_binding_figure(data)
    (ax,) = fig.axes
    assert list(ax.lines[0].get_ydata()) == [0.5, 0.2]
    for fmt in ("pdf", "svg"):
        path = plot_layer_binding(data, tmp_path / f"layers.{fmt}")
        assert path.read_bytes().startswith(MAGIC[fmt])
    with pytest.raises(
        ConfigurationError, match=r"no figure suffix; use one of \.png, \.pdf, \.svg"
    ):
        plot_layer_binding(data, tmp_path / "layers.jpg")
    assert not (tmp_path / "layers.jpg").exists()


# --------------------------------------------------------------------------- trajectories
def _relax_makers(flows) -> list[dict]:
    """Every serialized AseRelaxMaker in ``flows`` (nested ones included)."""
    found: list[dict] = []

    def walk(obj):
        if isinstance(obj, dict):
            if obj.get("@class") == "AseRelaxMaker":
                found.append(obj)
            for v in obj.values():
                walk(v)
        elif isinstance(obj, list | tuple):
            for v in obj:
                walk(v)

    for flow in flows.values():
        walk(flow.as_dict())
    return found


def test_keep_trajectory_reaches_every_relaxation_of_a_study():
    from lithiophilic.studies import binding, li_sites, surface

    options = surface.Options.quick(materials=["Cu"], millers=[[1, 1, 1]])
    assert {m["keep_trajectory"] for m in _relax_makers(surface.build_flows(options))} == {False}
    kept = _relax_makers(surface.build_flows(options.updated(keep_trajectory=True)))
    assert len(kept) >= 2 and {m["keep_trajectory"] for m in kept} == {True}  # bulk + slab
    both = binding.Options.quick(sites=li_sites.Options.quick(materials=["Cu"]))
    both = both.updated(keep_trajectory=True)  # the composite's flag reaches both sub-studies
    assert {m["keep_trajectory"] for m in _relax_makers(binding.build_flows(both))} == {True}


def test_surface_energy_keep_trajectory_stores_the_steps(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "db"
    res = CliRunner().invoke(
        app,
        ["surface-energy", "-m", "Cu", "--miller", "111", "--quick", "--calculator", "emt",
         "--keep-trajectory", "--quiet", "--data-dir", str(data), "--out", str(tmp_path / "f")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    store = get_store(data_dir=data)
    relaxations = list(
        store.query({"output.doc_type": "ase_calc", "output.task": "relax"}, load=True)
    )
    assert len(relaxations) == 2  # the bulk cell and the slab
    for doc in relaxations:
        out = doc["output"]
        assert out["trajectory"]["n_frames"] == out["n_steps"] + 1
        assert out["trajectory"]["energies_ev"][-1] == pytest.approx(out["energy_ev"])
    # the exported slab is the last frame of its trajectory
    paths = export_structures(store, tmp_path / "x", fmt="extxyz")
    slab = next(p for p in paths if p.name.startswith("slab_Cu_111"))
    atoms = read(slab)
    doc = next(
        d["output"] for d in relaxations if d["output"]["cache_key"] == atoms.info["cache_key"]
    )
    assert np.allclose(atoms.positions, doc["trajectory"]["positions_a"][-1], atol=1e-6)
