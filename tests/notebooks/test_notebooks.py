"""The notebooks run top to bottom against a small real database and redraw the panels."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")


@pytest.fixture(scope="module")
def small_campaign(tmp_path_factory):
    """A miniature campaign run through the study API, its options saved as `paper` saves them.

    EMT Cu surface energies, a GPAW Cu PDOS (quick mesh, unrelaxed), SevenNet-0 Li on Cu(111)
    (2 sites, 2 layers), a short MD of Li on Cu(111) (MEAM plumbing potential, two replicas).
    """
    from lithiophilic.db import get_store
    from lithiophilic.studies import aggregation, li_layers, li_sites, pdos, surface

    data = tmp_path_factory.mktemp("nbdb")
    store = get_store(data_dir=data)
    sites = li_sites.Options.quick(materials=["Cu"], max_sites=2)
    studies = [
        (surface, surface.Options.quick(materials=["Cu"], calculator="emt")),
        (pdos, pdos.Options.paper(quick=True, materials=["Cu"], nprocs=1, relax_max_atoms=0)),
        (li_sites, sites),
        (li_layers, li_layers.Options.quick(sites=sites, layers=2)),
        (
            aggregation,
            aggregation.Options.quick(
                materials=["Cu"],
                potential="meam-library-licu",
                replicas=2,
                lateral_size=(6, 6),
                n_layers=4,
                vacuum_a=20.0,
                time_ps=0.4,
                dump_every=50,
                n_li=6,
            ),
        ),
    ]
    options_dir = data / "options"
    for study, options in studies:
        result = study.run(options, store, data_dir=data)
        assert not result.failed, result.failed
        options.save(options_dir / f"{options.study}.json")
    return data, options_dir


@pytest.mark.slow
@pytest.mark.mlip
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_redraws_panels(path, small_campaign, tmp_path, monkeypatch):
    data, options_dir = small_campaign
    monkeypatch.setenv("LITHIOPHILIC_DATA", str(data))
    monkeypatch.setenv("LITHIOPHILIC_NB_OPTIONS", str(options_dir))
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
    assert set(drawn) == {"5a", "5b", "5c", "5d", "5e", "5f", "5g"}
    for name in drawn.values():
        assert (tmp_path / "figs" / name).stat().st_size > 5000
    assert "missing:" not in text  # every study found what its saved options asked for
