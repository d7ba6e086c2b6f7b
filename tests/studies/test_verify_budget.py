"""The default verify's budget settings (issue 18 item 5): the GPAW LCAO preset, its Li reference.

The default verify computes GPAW LCAO (dzp) single points (``potentials.dft.gpaw`` preset
``lcao-dzp``); LCAO has no stress, so E_b's bcc Li reference is a DFT single point on the
MLIP-relaxed bcc Li. The slow test runs GPAW LCAO on bulk Cu (1 atom, seconds).
"""

from __future__ import annotations

import pytest
from ase.build import bulk
from ase.calculators.calculator import PropertyNotImplementedError

from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec, calculator_provenance
from lithiophilic.potentials.dft.gpaw import resolve_gpaw_settings
from lithiophilic.studies import verify
from lithiophilic.workflows.verify import VerifyMaker


def test_lcao_preset_is_its_own_setting_and_key():
    lcao = resolve_gpaw_settings({"preset": "lcao-dzp"})
    assert (lcao["mode"], lcao["basis"]) == ("lcao", "dzp")
    # the plane-wave presets carry no mode/basis: their settings (and cache keys) are unchanged
    assert "mode" not in resolve_gpaw_settings({"preset": "fast"})
    keys = {p: CalculatorSpec("gpaw", {"preset": p}).key() for p in ("fast", "lcao-dzp")}
    assert keys["fast"] != keys["lcao-dzp"]
    # resolved settings passed back in (what get_calculator does) resolve to themselves
    assert resolve_gpaw_settings(lcao) == lcao
    with pytest.raises(ConfigurationError, match="mode='pw' is set by a preset only"):
        resolve_gpaw_settings({"preset": "lcao-dzp", "mode": "pw"})
    with pytest.raises(ConfigurationError, match="basis"):
        resolve_gpaw_settings({"preset": "fast", "basis": "szp"})


def test_default_verify_is_lcao_top1_reduced():
    o = verify.Options()
    assert calculator_provenance(o.dft_spec())["settings"]["mode"] == "lcao"
    assert (o.top_k, o.incorporated, o.sqs_samples, o.relax) == (1, True, 1, False)
    assert o.reduced_depth_a == verify.FULL_REDUCED_DEPTH_A


def test_li_reference_without_stress_is_a_single_point_on_the_mlip_cell():
    lcao = VerifyMaker(dft=CalculatorSpec("gpaw", {"preset": "lcao-dzp"}))
    assert not lcao.dft_has_stress
    relax, std, static = lcao.li_reference_jobs()
    assert relax.function_args[0].composition.reduced_formula == "Li"
    assert "mlip" in relax.name and "dft Li bcc" in static.name
    # the DFT runs on the MLIP-relaxed cell, put in its standard (exactly symmetric) setting
    assert std.function_args[0].uuid == relax.uuid
    assert static.function_args[0].uuid == std.uuid
    pw = VerifyMaker(dft=CalculatorSpec("gpaw", {"preset": "fast"}))
    assert pw.dft_has_stress and len(pw.li_reference_jobs()) == 1


def _gpaw_symmetry_count(atoms) -> int:
    """GPAW's number of symmetry operations of ``atoms``, counted in a fresh interpreter.

    GPAW's C extension links OpenMPI; a test worker that already ran LAMMPS holds the venv's
    MPICH globally and would abort on it (the library runs GPAW in a subprocess then, see
    ``potentials.dft.gpaw_mpi.needs_subprocess``).
    """
    import json
    import subprocess
    import sys

    script = (
        "import json, sys\n"
        "from ase import Atoms\n"
        "from gpaw.new.symmetry import create_symmetries_object\n"
        "d = json.loads(sys.stdin.read())\n"
        "a = Atoms(d['symbols'], positions=d['positions'], cell=d['cell'], pbc=True)\n"
        "print(len(create_symmetries_object(a)))\n"
    )
    data = {
        "symbols": atoms.get_chemical_symbols(),
        "positions": atoms.positions.tolist(),
        "cell": atoms.cell.array.tolist(),
    }
    out = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return int(out.stdout.split()[-1])


def test_li_reference_cell_gets_its_symmetry_back():
    """An MLIP cell relaxation leaves bcc Li a little off cubic: GPAW found 2 symmetries and
    ~500 irreducible k-points instead of 35; the standard cell has all 48 and the same volume."""
    pytest.importorskip("gpaw")
    import numpy as np
    from pymatgen.io.ase import AseAtomsAdaptor

    from lithiophilic.workflows.verify import standard_cell

    li = bulk("Li", "bcc", a=3.43)
    strain = np.array([[0, 2e-5, 0], [2e-5, 0, 0], [0, 0, 1e-5]])  # ~1e-4 Å, an MLIP's residue
    li.set_cell(li.cell.array @ (np.eye(3) + strain), scale_atoms=True)
    assert _gpaw_symmetry_count(li) < 48
    std = AseAtomsAdaptor.get_atoms(standard_cell(AseAtomsAdaptor.get_structure(li)))
    assert _gpaw_symmetry_count(std) == 48
    assert std.get_volume() == pytest.approx(li.get_volume(), rel=1e-6)


def test_default_verify_uses_every_core_the_quick_one_rank(monkeypatch):
    monkeypatch.delenv("SLURM_NTASKS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    spec = verify.Options().dft_spec()
    assert spec.kwargs["nprocs"] == 2
    assert verify.Options(nprocs=1).dft_spec().kwargs["nprocs"] == 1
    assert verify.Options.quick().dft_spec().kwargs["nprocs"] == 1
    monkeypatch.setenv("SLURM_NTASKS", "4")
    assert verify.Options().dft_nprocs() == 4
    # ranks are a runtime setting: the cache key (stored results) does not depend on them
    assert spec.key() == verify.Options(nprocs=1).dft_spec().key()


def test_default_dft_setting_and_the_stored_lcao_key():
    """The default verify stops the SCF at a density change of 1e-3 (a setting of its own);
    the lcao-dzp preset's cache key (stored LCAO results) stays what it was."""
    spec = verify.Options().dft_spec()
    settings = calculator_provenance(spec)["settings"]
    assert (settings["mode"], settings["density_tol"]) == ("lcao", 1e-3)
    assert CalculatorSpec("gpaw", {"preset": "lcao-dzp"}).key() == "24dfca8c49d7b5f1"
    assert spec.key() != CalculatorSpec("gpaw", {"preset": "lcao-dzp"}).key()


@pytest.mark.slow
def test_gpaw_lcao_bulk_single_point_has_energy_and_no_stress(tmp_path):
    from lithiophilic.potentials import get_calculator

    atoms = bulk("Cu", "fcc", a=3.63)
    calc = get_calculator(CalculatorSpec("gpaw", {"preset": "lcao-dzp", "kpts": [4, 4, 4]}))
    calc.directory = str(tmp_path)
    atoms.calc = calc
    energy = atoms.get_potential_energy()
    assert -5.0 < energy < -2.0  # GPAW-PBE Cu (reference: the PAW setup's atom), eV/atom
    with pytest.raises(PropertyNotImplementedError):
        atoms.get_stress()
    # the text log is gpaw.txt in-process, gpaw-mpi/step-NNN.txt when it ran on MPI ranks
    logs = [p.read_text() for p in tmp_path.rglob("*.txt")]
    assert logs and all("LCAO" in text for text in logs)


def test_default_verify_dft_single_points_are_energy_only():
    """γ and E_b use energies: the default DFT single points skip the forces, the MLIP ones not."""
    from pymatgen.core import Lattice, Structure

    def forces_of(job) -> bool:
        return job.function.__self__.forces

    cu = Structure(Lattice.cubic(3.63), ["Cu"], [[0, 0, 0]])
    slab = Structure(Lattice.tetragonal(2.57, 20.0), ["Cu"], [[0, 0, 0.5]])
    target = {"material": "Cu", "facet": "(111)", "termination": 0}
    for options, dft_forces in ((verify.Options(), False), (verify.Options(dft_forces=True), True)):
        maker = options.maker()
        jobs = maker.gamma_jobs(target, slab, {"bulk": cu})[:-1]
        by_kind = {("dft" if "dft" in j.name else "mlip", forces_of(j)) for j in jobs}
        assert by_kind == {("dft", dft_forces), ("mlip", True)}
        assert forces_of(maker.li_reference_jobs()[-1]) is dft_forces


def test_an_oriented_alloy_reference_is_sampled_off_gamma_along_its_stacking_axis_only():
    """The oriented bulk cell of an SQS slab keeps the slab's Γ-centred in-plane mesh and is
    sampled off Γ along the stacking axis (half the irreducible k-points of a P1 cell); a
    primitive cell, which no axis relates to the slab, keeps today's setting and key."""
    import numpy as np
    from ase.build import fcc100, fcc111
    from pymatgen.io.ase import AseAtomsAdaptor

    from lithiophilic.potentials.dft.common import kpts_from_density
    from lithiophilic.workflows.verify import stacking_axis, standard_cell

    rng = np.random.default_rng(0)
    lcao = CalculatorSpec("gpaw", {"preset": "lcao-dzp"})
    maker = VerifyMaker(dft=lcao)
    for build in (fcc111, fcc100):
        oriented = build("Cu", (3, 3, 3), a=3.7, periodic=True)
        symbols = np.array(oriented.get_chemical_symbols())
        symbols[rng.choice(len(symbols), 10, replace=False)] = "Zn"
        oriented.set_chemical_symbols(symbols.tolist())
        slab = oriented.copy()
        slab.center(vacuum=8.0, axis=2)
        slab.pbc = [True, True, False]
        ref = standard_cell(AseAtomsAdaptor.get_structure(oriented))  # reoriented, P1
        s_slab = AseAtomsAdaptor.get_structure(slab)
        axis = stacking_axis(ref, s_slab)
        assert axis is not None
        # the stacking axis is the one whose length is the oriented cell's c
        assert ref.lattice.abc[axis] == pytest.approx(oriented.cell.lengths()[2], rel=1e-6)
        assert kpts_from_density(AseAtomsAdaptor.get_atoms(ref), 3.5)[axis] % 2 == 0
        spec = maker.reference_spec(ref, s_slab)
        assert spec.settings()["kpts_gamma"] == [k != axis for k in range(3)]
        assert maker.reference_spec(s_slab, s_slab) is not None  # the slab itself: no crash
    cu = standard_cell(AseAtomsAdaptor.get_structure(bulk("Cu", "fcc", a=3.62)))
    one_by_one = AseAtomsAdaptor.get_structure(fcc111("Cu", (1, 1, 4), a=3.62, vacuum=8.0))
    assert stacking_axis(cu, one_by_one) is None  # every pair of fcc vectors spans (111)
    assert maker.reference_spec(cu, one_by_one).key() == lcao.key()
