"""The analysis notebooks run top to bottom on a small real database and redraw the panels."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jobflow import run_locally

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")


@pytest.fixture(scope="module")
def small_database(tmp_path_factory):
    """A database from a miniature campaign: EMT Cu surface energy, GPAW Cu PDOS, SevenNet-0 Li
    on Cu(111), a short MD of Li on Cu(111) (MEAM plumbing potential, two replicas)."""
    from lithiophilic.db import get_store
    from lithiophilic.potentials import CalculatorSpec
    from lithiophilic.workflows.binding import LiMultilayerMaker, LiSiteBindingMaker
    from lithiophilic.workflows.md import LiAggregationMaker
    from lithiophilic.workflows.pdos import PdosCalcMaker, PdosMaker
    from lithiophilic.workflows.surface import SurfaceEnergyMaker

    data = tmp_path_factory.mktemp("nbdb")
    store = get_store(data_dir=data)
    runs = data / "runs"
    runs.mkdir()
    surface = SurfaceEnergyMaker(millers=[[1, 1, 1], [1, 0, 0]], n_layers=4)
    flows = [surface.with_calculator(CalculatorSpec("emt")).make("Cu")]
    small = SurfaceEnergyMaker(millers=[[1, 1, 1]], n_layers=3, n_fixed_layers=1)
    sites = LiSiteBindingMaker(surface_maker=small, max_sites=2)
    flows.append(sites.make("Cu", [1, 1, 1]))
    flows.append(LiMultilayerMaker(site_maker=sites, max_layers=2).make("Cu", [1, 1, 1]))
    md = LiAggregationMaker.with_potential(
        "meam-library-licu",
        replicas=2,
        substrate_lateral_size=(6, 6),
        substrate_n_layers=4,
        substrate_vacuum_a=20.0,
        md_time_ps=0.4,
        md_dump_every=50,
        md_check_every=100,
        md_n_li=6,
    )
    flows.append(md.make("Cu"))
    pdos = PdosMaker(pdos_maker=PdosCalcMaker(dos_kpt_density_a=4.0, n_points=751))
    gpaw = CalculatorSpec("gpaw", {"ecut_ev": 300.0, "kpt_density_a": 2.5})
    flows.append(pdos.with_calculator(gpaw).make("Cu"))
    for flow in flows:
        run_locally(flow, store=store, ensure_success=True, root_dir=runs, create_folders=True)
    return data


@pytest.mark.slow
@pytest.mark.mlip
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_redraws_panels(path, small_database, tmp_path, monkeypatch):
    monkeypatch.setenv("LITHIOPHILIC_DATA", str(small_database))
    monkeypatch.setenv("LITHIOPHILIC_NB_FIGURES", str(tmp_path / "figs"))
    monkeypatch.delenv("LITHIOPHILIC_STORE", raising=False)
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute(env=dict(os.environ))
    text = "".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream"
    )
    assert "panels redrawn:" in text
    drawn = json.loads(text.split("panels redrawn:")[-1].strip().replace("'", '"'))
    assert {"5a", "5c", "5d", "5e"} <= set(drawn)
    for name in (
        "fig5a_surface_energies",
        "fig5c_li_binding",
        "fig5d_li_layers",
        "fig5e_li_layers",
    ):
        png = tmp_path / "figs" / f"{name}.png"
        assert png.stat().st_size > 5000
