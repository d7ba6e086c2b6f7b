"""pymatgen objects from our results: SlabEntry/Wulff shape (surface), CompleteDos (PDOS)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from jobflow import run_locally
from pymatgen.core import Element, Lattice, Structure
from pymatgen.electronic_structure.core import OrbitalType, Spin

from lithiophilic.analysis.pdos import complete_dos
from lithiophilic.analysis.surface_entries import bulk_entry, slab_entries, wulff_shape
from lithiophilic.db import get_store
from lithiophilic.errors import AnalysisError
from lithiophilic.potentials import CalculatorSpec
from lithiophilic.workflows.pdos import PdosCalcMaker

LEGACY = Path(__file__).parents[1] / "data" / "legacy" / "db_before_issue16"


@pytest.fixture
def cu_docs(tmp_path):
    """The stored Cu(111), Cu(100) and Cu bulk documents of the legacy database (SevenNet-0)."""
    shutil.copytree(LEGACY, tmp_path / "db")
    store = get_store(data_dir=tmp_path / "db")
    surfaces = [d["output"] for d in store.query({"output.doc_type": "surface_energy"})]
    bulk = store.query_one({"output.doc_type": "ase_calc", "output.label": "Cu bulk"})["output"]
    return surfaces, bulk


def test_slab_entries_reproduce_our_surface_energies(cu_docs):
    surfaces, bulk = cu_docs
    entries = slab_entries(surfaces)
    ucell = bulk_entry(bulk)
    assert ucell.energy_per_atom == pytest.approx(surfaces[0]["bulk_energy_per_atom_ev"])
    assert sorted(e.miller_index for e in entries) == [(1, 0, 0), (1, 1, 1)]
    for entry, doc in zip(entries, surfaces, strict=True):
        # pymatgen computes gamma itself from the slab energy, area and bulk entry
        assert entry.surface_energy(ucell) == pytest.approx(
            doc["gamma_relaxed_ev_per_a2"], rel=1e-9
        )
        assert entry.data["gamma_relaxed_j_per_m2"] == doc["gamma_relaxed_j_per_m2"]
        assert entry.label == f"Cu ({''.join(map(str, doc['miller']))}) t0"


def test_cu_wulff_shape_from_our_111_and_100(cu_docs):
    surfaces, bulk = cu_docs
    wulff = wulff_shape(surfaces, bulk)
    gamma = {tuple(d["miller"]): d["gamma_relaxed_j_per_m2"] for d in surfaces}
    assert wulff.miller_energy_dict[(1, 1, 1)] == pytest.approx(gamma[(1, 1, 1)])
    assert wulff.miller_energy_dict[(1, 0, 0)] == pytest.approx(gamma[(1, 0, 0)])
    fractions = wulff.area_fraction_dict
    # (111) has the lower gamma: it covers most of the shape, and both facets appear
    assert gamma[(1, 1, 1)] < gamma[(1, 0, 0)]
    assert fractions[(1, 1, 1)] > fractions[(1, 0, 0)] > 0
    assert sum(fractions.values()) == pytest.approx(1.0)
    assert wulff.volume > 0 and wulff.weighted_surface_energy == pytest.approx(
        sum(fractions[h] * gamma[h] for h in gamma), rel=1e-9
    )


def test_slab_entries_refuse_documents_without_converged_relaxation(cu_docs):
    surfaces, bulk = cu_docs
    bad = [{**surfaces[0], "converged": False, "gamma_relaxed_j_per_m2": None}]
    assert slab_entries(bad) == []
    with pytest.raises(AnalysisError, match="no converged stoichiometric slab"):
        wulff_shape(bad, bulk)


@pytest.mark.slow
def test_complete_dos_matches_the_stored_pdos(embedded_store, in_tmp):
    cuzn = Structure(Lattice.cubic(2.95), ["Cu", "Zn"], [[0, 0, 0], [0.5, 0.5, 0.5]])  # B2
    maker = PdosCalcMaker(
        calculator=CalculatorSpec("gpaw", {"ecut_ev": 300.0, "kpt_density_a": 2.5}),
        dos_kpt_density_a=3.0,
        n_points=401,
    )
    job = maker.make(cuzn, material="CuZn")
    run_locally(job, store=embedded_store, create_folders=True, ensure_success=True)
    raw = embedded_store.query_one({"uuid": job.uuid}, load=False)["output"]
    with pytest.raises(AnalysisError, match="load=True"):
        complete_dos(raw)
    doc = embedded_store.query_one({"uuid": job.uuid}, load=True)["output"]
    cdos = complete_dos(doc)
    assert cdos.efermi == doc["fermi_level_ev"]
    assert np.allclose(cdos.energies - cdos.efermi, doc["energies_ev"])
    assert np.allclose(cdos.densities[Spin.up], doc["total_dos"])
    for i, site in enumerate(cdos.structure):
        spd = cdos.get_site_spd_dos(site)
        for j, orb in enumerate((OrbitalType.s, OrbitalType.p, OrbitalType.d)):
            assert np.allclose(spd[orb].densities[Spin.up], doc["atom_pdos"][i][j])
    by_element = cdos.get_element_dos()
    for el in ("Cu", "Zn"):
        per_atom = np.sum(doc["element_pdos"][el], axis=0)  # one atom each: states/eV/atom
        assert np.allclose(by_element[Element(el)].densities[Spin.up], per_atom)
    # pymatgen's d-band centre of Cu agrees with ours (same window, same projection)
    ours = doc["elements"]["Cu"]["d_band_centre_ev"]
    theirs = cdos.get_band_center(OrbitalType.d, elements=[Element("Cu")], erange=[-10.0, 2.0])
    assert theirs == pytest.approx(ours, abs=0.05)  # different quadrature (trapezoid vs sum)
