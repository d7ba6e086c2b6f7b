"""VASP flows: atomate2 Makers in the study slots, custodian's handlers, prev_dir links, checks.

VASP is not installed here. The tests build the flows the studies build, run the VASP jobs
up to custodian (custodian is replaced by a recorder that refuses to start VASP), and check
the job-start error when VASP or the POTCARs are missing.
"""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path

import pytest
from ase import Atoms
from atomate2.vasp.jobs.core import NonSCFMaker, RelaxMaker, StaticMaker
from jobflow import Flow, OutputReference, run_locally
from pymatgen.io.ase import AseAtomsAdaptor
from pymatgen.io.vasp import Incar

from lithiophilic.errors import CalculatorUnavailableError, ConfigurationError
from lithiophilic.potentials import CalculatorSpec
from lithiophilic.potentials.dft.vasp import find_vasp_command
from lithiophilic.structures import make_bulk, make_slabs
from lithiophilic.workflows.base import AseRelaxMaker, AseStaticMaker
from lithiophilic.workflows.pdos import PdosCalcMaker, PdosMaker
from lithiophilic.workflows.vasp import (
    CUSTODIAN_HANDLERS,
    VaspBulkRelaxMaker,
    VaspRunMaker,
    vasp_makers,
)

VASP = CalculatorSpec("vasp")

#: custodian's default VASP error handlers (atomate2 run_vasp's defaults).
DEFAULT_HANDLER_NAMES = {
    "VaspErrorHandler",
    "MeshSymmetryErrorHandler",
    "UnconvergedErrorHandler",
    "NonConvergingErrorHandler",
    "PotimErrorHandler",
    "PositiveEnergyErrorHandler",
    "FrozenJobErrorHandler",
    "StdErrHandler",
    "LargeSigmaHandler",
    "IncorrectSmearingHandler",
    "KspacingMetalHandler",
}


@pytest.fixture
def vasp_env(tmp_path, monkeypatch):
    """A VASP command on PATH (never run) and a POTCAR directory holding the files' names."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "vasp_std"
    exe.write_text("#!/bin/sh\nexit 1\n")
    exe.chmod(0o755)
    psp = tmp_path / "psp" / "POT_GGA_PAW_PBE_54"
    headers = {  # the header lines our code reads (TITEL, ENMAX) of the PBE_54 POTCARs
        "Cu": "TITEL  = PAW_PBE Cu 22Jun2005\n   ENMAX  =  295.446; ENMIN  =  221.585 eV",
        "Zn": "TITEL  = PAW_PBE Zn 06Sep2000\n   ENMAX  =  276.723; ENMIN  =  207.542 eV",
        "Li_sv": "TITEL  = PAW_PBE Li_sv 10Sep2004\n   ENMAX  =  499.034; ENMIN  =  374.276 eV",
    }
    for symbol, header in headers.items():
        (psp / symbol).mkdir(parents=True)
        (psp / symbol / "POTCAR").write_text(f"  PAW_PBE {symbol} (header only)\n   {header}\n")
    monkeypatch.setenv("ASE_VASP_COMMAND", f"{exe} --ranks 4")
    monkeypatch.setenv("PMG_VASP_PSP_DIR", str(tmp_path / "psp"))
    return exe


@pytest.fixture
def no_vasp_env(monkeypatch):
    for name in ("ASE_VASP_COMMAND", "VASP_COMMAND", "PMG_VASP_PSP_DIR", "ATOMATE2_VASP_CMD"):
        monkeypatch.delenv(name, raising=False)
    from pymatgen.core import SETTINGS

    monkeypatch.delitem(SETTINGS, "PMG_VASP_PSP_DIR", raising=False)


def _cu111():
    slab = make_slabs(
        make_bulk("Cu"), (1, 1, 1), n_layers=5, vacuum_a=10.0, n_fixed_layers=2, fix="bottom"
    )[0]
    return AseAtomsAdaptor.get_structure(slab)


def _slots():
    return {
        "bulk_relax_maker": AseRelaxMaker(name="bulk relax", relax_cell=True, fmax_ev_per_a=0.01),
        "slab_static_maker": AseStaticMaker(name="slab static"),
        "slab_relax_maker": AseRelaxMaker(
            name="slab relax", fmax_ev_per_a=0.05, max_steps=400, allow_unconverged=True
        ),
        "li_relax_maker": AseRelaxMaker(name="Li relax", fmax_ev_per_a=0.03),
        "atom_static_maker": AseStaticMaker(name="Li atom"),
    }


# --------------------------------------------------------------------------- Makers
def test_vasp_makers_for_every_slot():
    makers = vasp_makers(VASP, _slots())
    bulk = makers["bulk_relax_maker"]
    assert isinstance(bulk, VaspBulkRelaxMaker)
    assert isinstance(bulk.relax_maker.vasp_maker, RelaxMaker)
    assert isinstance(bulk.static_maker.vasp_maker, StaticMaker)
    assert bulk.relax_maker.vasp_maker.input_set_generator.fmax_ev_per_a == 0.01
    slab = makers["slab_relax_maker"].vasp_maker
    assert isinstance(slab, RelaxMaker) and slab.name == "slab relax"
    gen = slab.input_set_generator
    assert (gen.task, gen.fmax_ev_per_a, gen.nsw, gen.encut_ev) == ("relax", 0.05, 400, 520.0)
    assert slab.stop_children_kwargs == {"handle_unsuccessful": False}  # allow_unconverged
    assert not gen.lwave and not gen.lcharg  # no later step reads a slab's WAVECAR/CHGCAR
    assert isinstance(makers["atom_static_maker"].vasp_maker, StaticMaker)
    # one cutoff for every compared energy
    encuts = {
        m.input_set_generator.encut_ev
        for m in (
            bulk.static_maker.vasp_maker,
            makers["slab_static_maker"].vasp_maker,
            slab,
            makers["li_relax_maker"].vasp_maker,
            makers["atom_static_maker"].vasp_maker,
        )
    }
    assert encuts == {520.0}
    # custodian: atomate2's default handlers, not replaced by ours
    for m in (slab, makers["slab_static_maker"].vasp_maker):
        assert "handlers" not in m.run_vasp_kwargs
    assert {type(h).__name__ for h in CUSTODIAN_HANDLERS} == DEFAULT_HANDLER_NAMES


def test_vasp_makers_refuse_bad_input():
    with pytest.raises(ConfigurationError, match="'emt' does not run as VASP Makers"):
        vasp_makers(CalculatorSpec("emt"), _slots())
    with pytest.raises(ConfigurationError, match=r"unknown slot\(s\) \['md_maker'\]"):
        vasp_makers(VASP, {"md_maker": AseStaticMaker()})
    with pytest.raises(ConfigurationError, match="below the Li POTCAR's ENMAX"):
        vasp_makers(CalculatorSpec("vasp", {"encut_ev": 450.0}), _slots())


def test_bulk_flow_relax_then_static_with_prev_dir():
    flow = vasp_makers(VASP, _slots())["bulk_relax_maker"].make(
        AseAtomsAdaptor.get_structure(make_bulk("Cu"))
    )
    assert isinstance(flow, Flow)
    relax, static = flow.jobs
    assert (relax.name, static.name) == ("bulk relax (cell)", "bulk relax (static)")
    prev = static.function_kwargs["prev_dir"]
    assert isinstance(prev, OutputReference)
    assert (prev.uuid, prev.attributes) == (relax.uuid, (("a", "dir_name"),))
    struct = static.function_args[0]
    assert (struct.uuid, struct.attributes) == (relax.uuid, (("a", "structure"),))
    assert flow.output.uuid == static.uuid  # the compared energy is the static's


def test_surface_and_binding_studies_get_vasp_slots():
    from lithiophilic.studies import li_sites, surface

    options = surface.Options.quick(materials=["Cu"], millers=[[1, 1, 1]], calculator="vasp")
    maker = surface.surface_maker(options)
    assert isinstance(maker.bulk_relax_maker, VaspBulkRelaxMaker)
    assert isinstance(maker.slab_static_maker.vasp_maker, StaticMaker)
    assert isinstance(maker.slab_relax_maker.vasp_maker, RelaxMaker)
    assert maker.slab_relax_maker.vasp_maker.input_set_generator.fmax_ev_per_a == (
        options.slab_fmax_ev_per_a
    )
    flow = surface.build_flows(options)["Cu"]
    names = [job.name for job, _ in flow.iterflow()]
    assert "bulk relax (cell) Cu" in names and "bulk relax (static) Cu" in names
    site = li_sites.site_maker(li_sites.Options(materials=["Cu"], calculator="vasp"))
    assert isinstance(site.li_relax_maker.vasp_maker, RelaxMaker)
    assert isinstance(site.atom_static_maker.vasp_maker, StaticMaker)
    assert isinstance(site.surface_maker.slab_relax_maker, VaspRunMaker)
    assert site.spin_polarized  # the VASP Li atom is ISPIN 2 (recorded in the Li reference)


def test_pdos_flow_static_then_nscf_uniform():
    maker = PdosMaker(pdos_maker=PdosCalcMaker(calculator=VASP, dos_kpt_density_a=6.0))
    maker = maker.with_calculator(VASP)
    flow = maker.make("Cu")
    jobs = list(flow.jobs)
    assert isinstance(jobs[0], Flow)  # cell relax -> static
    static, nscf, doc = jobs[1:]
    assert isinstance(nscf.function.__self__.vasp_maker, NonSCFMaker)
    gen = nscf.function.__self__.vasp_maker.input_set_generator
    assert (gen.task, gen.dos_kpt_density_a, gen.dos_sigma_ev) == ("nscf", 6.0, 0.1)
    assert static.function.__self__.vasp_maker.input_set_generator.lcharg  # CHGCAR -> nscf
    prev = nscf.function_kwargs["prev_dir"]
    assert (prev.uuid, prev.attributes) == (static.uuid, (("a", "dir_name"),))
    assert static.function_args[0].uuid == jobs[0].output.uuid  # the relaxed cell
    assert doc.name.startswith("vasp_pdos_document")
    assert flow.output.uuid == doc.uuid


# --------------------------------------------------------------------------- running
class _Recorder:
    """Stands in for custodian: records what it was given and refuses to run VASP."""

    seen: dict = {}  # noqa: RUF012

    def __init__(self, handlers, jobs, **kwargs):
        type(self).seen = {"handlers": list(handlers), "jobs": list(jobs), **kwargs}

    def run(self):
        msg = "custodian recorder: VASP is not run in the tests"
        raise RuntimeError(msg)


def test_job_runs_custodian_with_default_handlers_and_our_command(
    vasp_env, tmp_path, monkeypatch, memory_jobstore
):
    monkeypatch.setattr("atomate2.vasp.run.Custodian", _Recorder)
    run_maker = vasp_makers(VASP, _slots())["slab_relax_maker"]
    inner = replace(run_maker.vasp_maker, write_input_set_kwargs={"potcar_spec": True})
    job = replace(run_maker, vasp_maker=inner).make(_cu111())
    monkeypatch.chdir(tmp_path)
    run_locally(job, store=memory_jobstore, create_folders=True, root_dir=tmp_path)
    seen = _Recorder.seen
    assert {type(h).__name__ for h in seen["handlers"]} == DEFAULT_HANDLER_NAMES
    (vasp_job,) = seen["jobs"]
    assert list(vasp_job.vasp_cmd) == shlex.split(f"{vasp_env} --ranks 4")
    incar_files = list(Path(tmp_path).glob("job_*/INCAR"))
    assert len(incar_files) == 1
    incar = Incar.from_file(incar_files[0])
    assert (incar["IBRION"], incar["ISIF"], incar["LDIPOL"]) == (2, 2, True)
    assert (incar_files[0].parent / "POTCAR.spec").read_text().split() == ["Cu"]


def test_job_fails_at_start_without_vasp(no_vasp_env, memory_jobstore):
    job = vasp_makers(VASP, _slots())["slab_static_maker"].make(_cu111())
    with pytest.raises(CalculatorUnavailableError, match="set ASE_VASP_COMMAND"):
        job.run(memory_jobstore)


def test_job_fails_at_start_without_potcar(vasp_env, tmp_path, monkeypatch, memory_jobstore):
    atom = Atoms("Ag", positions=[[0, 0, 0]], cell=[15.0] * 3, pbc=True)
    job = vasp_makers(VASP, _slots())["atom_static_maker"].make(AseAtomsAdaptor.get_structure(atom))
    with pytest.raises(CalculatorUnavailableError, match=r"POTCAR 'Ag' \(PBE_54\) not found"):
        job.run(memory_jobstore)
    monkeypatch.setenv("PMG_VASP_PSP_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(CalculatorUnavailableError, match=r"PMG_VASP_PSP_DIR=.* is not a directory"):
        job.run(memory_jobstore)


def test_ase_vasp_command_wins_over_atomate2_vasp_cmd(vasp_env, monkeypatch):
    import atomate2
    from atomate2.settings import Atomate2Settings

    monkeypatch.setenv("ATOMATE2_VASP_CMD", "/bin/true")
    monkeypatch.setattr(atomate2, "SETTINGS", Atomate2Settings())
    assert find_vasp_command() == f"{vasp_env} --ranks 4"  # ASE_VASP_COMMAND
    monkeypatch.delenv("ASE_VASP_COMMAND")
    assert find_vasp_command() == "/bin/true"  # atomate2's, set by the user
    monkeypatch.delenv("ATOMATE2_VASP_CMD")
    monkeypatch.setattr(atomate2, "SETTINGS", Atomate2Settings())
    with pytest.raises(CalculatorUnavailableError, match="no VASP command configured"):
        find_vasp_command()  # atomate2's built-in default 'vasp_std' is never guessed


# --------------------------------------------------------------------------- DOS
ASE_VASPRUN = Path(__import__("ase").__file__).parent / "test/testdata/vasp/vasprun_pstress.xml"


def test_vasp_dos_run_without_projections_is_refused(tmp_path):
    """A real vasprun.xml written with LORBIT 0 (total DOS only) cannot give a PDOS."""
    from lithiophilic.errors import CalculationFailed
    from lithiophilic.workflows.vasp import read_complete_dos

    with pytest.raises(CalculationFailed, match=r"no vasprun\.xml in"):
        read_complete_dos(tmp_path)
    (tmp_path / "vasprun.xml").write_bytes(ASE_VASPRUN.read_bytes())
    with pytest.raises(CalculationFailed, match=r"has no projected DOS \(LORBIT 11 needed\)"):
        read_complete_dos(f"node042:{tmp_path}")  # atomate2's dir_name carries the host


@pytest.mark.slow
def test_complete_dos_gives_the_same_pdos_document(embedded_store, tmp_path, monkeypatch):
    """CompleteDos -> our arrays -> PdosDoc: the numbers of Fig. 5b are those of the source.

    A real GPAW PDOS (1-atom Cu) is turned into a pymatgen CompleteDos (as VASP's DOS run is
    read) and back through the VASP path's dos_arrays and PdosCalcMaker.document.
    """
    import numpy as np

    from lithiophilic.analysis.pdos import complete_dos
    from lithiophilic.workflows.vasp import dos_arrays

    monkeypatch.chdir(tmp_path)
    gpaw = CalculatorSpec("gpaw", {"ecut_ev": 250.0, "kpt_density_a": 2.0})
    maker = PdosCalcMaker(calculator=gpaw, dos_kpt_density_a=3.0, n_points=401)
    cu = AseAtomsAdaptor.get_structure(make_bulk("Cu"))
    job = maker.make(cu, material="Cu")
    run_locally(job, store=embedded_store, create_folders=True, ensure_success=True)
    doc = embedded_store.query_one({"uuid": job.uuid}, load=True)["output"]
    cdos = complete_dos(doc)
    window = (float(doc["energy_window_ev"][0]), float(doc["energy_window_ev"][1]))
    arrays = dos_arrays(cdos, energy_window_ev=window, n_points=doc["n_points"])
    assert np.allclose(arrays["energies_ev"], doc["energies_ev"])
    assert np.allclose(arrays["total_dos"], doc["total_dos"])
    assert np.allclose(arrays["pdos"], doc["atom_pdos"])
    results = {k: doc[k] for k in ("energy_ev", "fermi_level_ev", "scf_kpts", "dos_kpts")}
    results.update(dos_converged_up_to_ev=doc["dos_converged_up_to_ev"], spinpol=False, nprocs=1)
    again = maker.document(
        AseAtomsAdaptor.get_atoms(cu),
        results,
        arrays,
        cache_key="",
        wall_time_s=0.0,
        material="Cu",
        structure_note="",
        lattice_source="input",
    )
    ours, source = again.elements["Cu"], doc["elements"]["Cu"]
    for key in ("dos_at_fermi_states_per_ev_atom", "d_band_centre_ev", "d_band_width_ev"):
        assert ours[key] == pytest.approx(source[key], rel=1e-9, abs=1e-12), key
    assert ours["d_band_centre_ev"] < -1.0  # Cu: filled d band below E_F


# --------------------------------------------------------------------------- CLI
@pytest.mark.parametrize(
    "command",
    [
        ["surface-energy", "--material", "Cu", "--miller", "111", "--quick"],
        ["binding", "--material", "Cu", "--miller", "111"],
        ["pdos", "--material", "Cu"],
    ],
)
def test_cli_local_run_without_vasp_exits_2_before_any_job(
    command, no_vasp_env, tmp_path, monkeypatch
):
    from typer.testing import CliRunner

    from lithiophilic.cli import app

    monkeypatch.setenv("LITHIOPHILIC_SQS_CACHE", str(tmp_path / "sqs-cache"))
    runner = CliRunner()
    data = tmp_path / "db"
    args = [*command, "--calculator", "vasp", "--data-dir", str(data)]
    res = runner.invoke(app, args)
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert "no VASP command configured" in text and "set ASE_VASP_COMMAND" in text
    assert not data.exists()  # nothing stored, no job started
    # with a command but no POTCAR directory: the message names PMG_VASP_PSP_DIR
    exe = tmp_path / "vasp_std"
    exe.write_text("#!/bin/sh\nexit 1\n")
    exe.chmod(0o755)
    monkeypatch.setenv("ASE_VASP_COMMAND", str(exe))
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert "PMG_VASP_PSP_DIR is not set" in " ".join(res.output.split())
    assert not data.exists()


VASPRUN_CR = Path(__file__).parents[1] / "data" / "vasp" / "vasprun_cr_lorbit11.xml.gz"


def test_real_vasprun_gives_the_pdos_document(tmp_path):
    """A real LORBIT-11 vasprun (bcc Cr, VASP 6.3.0) -> CompleteDos -> PdosDoc, as the job does."""
    import numpy as np
    from pymatgen.io.vasp import Kpoints

    from lithiophilic.workflows.pdos import vasp_pdos_document

    nscf_dir, static_dir = tmp_path / "nscf", tmp_path / "static"
    nscf_dir.mkdir()
    static_dir.mkdir()
    (nscf_dir / "vasprun.xml.gz").write_bytes(VASPRUN_CR.read_bytes())
    Kpoints.gamma_automatic((8, 8, 8)).write_file(static_dir / "KPOINTS")
    static = {"dir_name": f"node7:{static_dir}", "output": {"energy": -20.5}}
    nscf = {"dir_name": f"node7:{nscf_dir}", "output": {"energy": -20.28895535}}
    maker = PdosCalcMaker(calculator=VASP, width_ev=0.05, n_points=801)
    doc = vasp_pdos_document.original(maker, static, nscf, "Cr", "bcc Cr, 2 atoms", "input")
    assert doc.fermi_level_ev == pytest.approx(7.33193425)  # <dos><i name="efermi">
    assert doc.energy_ev == -20.5  # the SCF's energy, not the DOS run's
    assert doc.scf_kpts == [8, 8, 8]
    # lowest energy of the highest band (24, at k-point 33: 40.3103 eV), relative to E_F
    assert doc.dos_converged_up_to_ev == pytest.approx(40.3103 - 7.33193425)
    assert doc.dir_name == f"node7:{nscf_dir}" and doc.calculator_name == "vasp"
    assert (doc.n_atoms, doc.counts, doc.spinpol, doc.nprocs) == (2, {"Cr": 2}, False, 0)
    e = np.asarray(doc.energies_ev)
    assert e[0] == pytest.approx(-10.0) and e[-1] == pytest.approx(5.0) and len(e) == 801
    atoms = np.asarray(doc.atom_pdos)
    assert atoms.shape == (2, 3, 801)
    assert np.allclose(atoms[0], atoms[1])  # the two bcc sites are equivalent
    total = np.asarray(doc.total_dos)
    spd = atoms.sum(axis=(0, 1))
    window = (e > -7.0) & (e < 4.0)
    area_total, area_spd = (
        np.trapezoid(total[window], e[window]),
        np.trapezoid(spd[window], e[window]),
    )
    assert 0.6 * area_total < area_spd <= 1.001 * area_total  # spheres miss the interstitial
    s, p, d = (np.asarray(x) for x in doc.element_pdos["Cr"])
    assert np.trapezoid(d[window], e[window]) > 5 * np.trapezoid((s + p)[window], e[window])
    cr = doc.elements["Cr"]
    assert cr["dos_at_fermi_states_per_ev_atom"] > 0.1
    assert -3.0 < cr["d_band_centre_ev"] < 3.0  # half-filled Cr d band straddles E_F
