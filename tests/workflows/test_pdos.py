"""PDOS flow with real GPAW on bulk Cu; failures store nothing."""

from __future__ import annotations

import numpy as np
import pytest
from jobflow import run_locally
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec
from lithiophilic.workflows.base import AseStaticMaker
from lithiophilic.workflows.pdos import PdosCalcMaker, PdosMaker, pdos_input_structure

QUICK = {"ecut_ev": 300.0, "kpt_density_a": 2.5}


@pytest.mark.slow
def test_cu_pdos_d_band_below_fermi_and_arrays_in_data_store(embedded_store, in_tmp):
    spec = CalculatorSpec("gpaw", QUICK)
    maker = PdosMaker(
        pdos_maker=PdosCalcMaker(dos_kpt_density_a=4.0, n_points=751)
    ).with_calculator(spec)
    flow = maker.make("Cu")
    run_locally(flow, store=embedded_store, create_folders=True, ensure_success=True)
    doc = embedded_store.get_output(flow.output.uuid, load=True)
    e = np.asarray(doc["energies_ev"])
    s, p, d = (np.asarray(x) for x in doc["element_pdos"]["Cu"])
    total = np.asarray(doc["total_dos"])  # one atom: states/eV/cell = states/eV/atom
    window = (e > -5.0) & (e < -2.0)

    def area(y: np.ndarray) -> float:
        return float(np.trapezoid(y[window], e[window]))

    # d-dominated 2-5 eV below E_F, and the projections are charges inside the sphere: the
    # localised 3d states are nearly all inside it, and no l-channel exceeds the total DOS
    assert area(d) > 5 * area(s + p)
    assert 0.75 * area(total) < area(s + p + d) <= 1.001 * area(total)
    at_ef = np.abs(e) <= 0.1
    assert (s + p + d)[at_ef].mean() <= total[at_ef].mean()
    assert p[at_ef].mean() < 0.5 * total[at_ef].mean()  # the diffuse 4p is not over-counted
    assert doc["elements"]["Cu"]["d_band_centre_ev"] < -2.0
    assert 0.9 < doc["sphere_radius_a"]["Cu"] < 1.4  # GPAW's Cu setup: r_c = 2.2 Bohr
    assert doc["lattice_source"].startswith("cell and positions relaxed with gpaw")
    assert doc["calculator_settings"]["preset"] == "fast"
    # large arrays live in the additional data store, not in the main document
    raw = embedded_store.query_one({"uuid": flow.output.uuid}, load=False)
    assert raw["output"]["energies_ev"]["store"] == "data"
    assert raw["output"]["elements"]["Cu"]["n_atoms"] == 1
    assert raw["output"]["cache_key"] and raw["output"]["reused_from_uuid"] is None

    # the same PDOS again is reused from the store, arrays and all: no new GPAW run
    again = maker.make("Cu")
    run_locally(again, store=embedded_store, create_folders=True, ensure_success=True)
    doc2 = embedded_store.get_output(again.output.uuid, load=True)
    assert doc2["reused_from_uuid"] == flow.output.uuid
    assert doc2["cache_key"] == raw["output"]["cache_key"]
    assert doc2["elements"] == doc["elements"]
    assert np.allclose(doc2["total_dos"], doc["total_dos"])


def test_unconverged_scf_fails_job_and_stores_nothing(memory_jobstore, in_tmp):
    struct, _ = pdos_input_structure("Cu")
    job = AseStaticMaker(calculator=CalculatorSpec("gpaw", {**QUICK, "maxiter": 2})).make(struct)
    responses = run_locally(job, store=memory_jobstore, ensure_success=False)
    assert job.uuid not in responses
    assert memory_jobstore.query_one({"uuid": job.uuid}) is None


def test_pdos_inputs_and_bad_input():
    struct, note = pdos_input_structure("Cu0.64Zn0.36")
    counts = struct.composition.as_dict()
    assert (len(struct), counts["Cu"], counts["Zn"]) == (25, 16, 9)
    assert "25-atom SQS" in note
    gb, note = pdos_input_structure("Cu5Zn8")
    assert len(gb) == 26 and gb.composition.as_dict() == {"Cu": 10, "Zn": 16}
    assert note.startswith("Cu5Zn8 26-atom primitive (bcc) cell of the I-43m structure")
    with pytest.raises(
        ConfigurationError, match=r"'emt' cannot compute a PDOS; use one of \['gpaw', 'vasp'\]"
    ):
        PdosCalcMaker(calculator=CalculatorSpec("emt"))
    with pytest.raises(ConfigurationError, match="width_ev must be > 0"):
        PdosCalcMaker(width_ev=0.0)
    with pytest.raises(ConfigurationError, match="must cover the d-band window"):
        PdosCalcMaker(energy_window_ev=(-5.0, 5.0))
    with pytest.raises(ConfigurationError):
        PdosMaker().make("Unobtainium")
    slab = AseAtomsAdaptor.get_structure(
        __import__("ase.build").build.fcc111("Cu", (1, 1, 3), vacuum=8.0)
    )
    flow = PdosMaker(relax_maker=None).make(slab, name="Cu(111)")
    assert len(flow.jobs) == 1
