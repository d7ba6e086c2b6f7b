"""VASP backend: input generation, POTCAR and command checks, output parsing (no VASP here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import ase
import numpy as np
import pytest
from ase.build import add_adsorbate, bulk, fcc111
from ase.constraints import FixAtoms
from pymatgen.io.vasp import Incar, Kpoints, Poscar

from lithiophilic.errors import CalculatorUnavailableError, ConfigurationError, NotConvergedError
from lithiophilic.potentials import CalculatorSpec, get_calculator
from lithiophilic.potentials.dft.vasp import (
    VaspSetCalculator,
    check_potcars,
    parse_vasprun,
    resolve_vasp_settings,
    write_vasp_inputs,
)

#: A vasprun.xml written by VASP (C2 cell with PSTRESS), shipped in ASE's test data.
VASPRUN = Path(ase.__file__).parent / "test" / "testdata" / "vasp" / "vasprun_pstress.xml"


def _li_on_cu111():
    slab = fcc111("Cu", (1, 1, 4), a=3.63, vacuum=10.0)
    add_adsorbate(slab, "Li", 2.0, "fcc")
    slab.set_constraint(FixAtoms(indices=[0, 1]))
    return slab


def test_slab_inputs_selective_dynamics_dipole_lorbit(tmp_path):
    info = write_vasp_inputs(_li_on_cu111(), tmp_path, {"encut_ev": 450.0}, potcar=False)
    incar = Incar.from_file(tmp_path / "INCAR")
    assert incar["ENCUT"] == 450.0
    assert (incar["ISMEAR"], incar["SIGMA"]) == (1, 0.2)  # Methfessel-Paxton for metals
    assert incar["LORBIT"] == 11
    assert incar["LDIPOL"] is True and incar["IDIPOL"] == 3  # Li on one face: asymmetric
    assert 0.3 < incar["DIPOL"][2] < 0.7
    assert incar["ISPIN"] == 1 and "MAGMOM" not in incar
    assert (incar["IBRION"], incar["NSW"]) == (-1, 0)
    kp = Kpoints.from_file(tmp_path / "KPOINTS")
    assert list(kp.kpts[0])[2] == 1 and kp.style.name == "Gamma"
    poscar = Poscar.from_file(tmp_path / "POSCAR")
    flags = np.asarray(poscar.selective_dynamics).tolist()
    assert flags[0] == [False] * 3 and flags[1] == [False] * 3 and flags[4] == [True] * 3
    assert [s.specie.symbol for s in poscar.structure] == ["Cu"] * 4 + ["Li"]  # order kept
    assert (tmp_path / "POTCAR.spec").read_text().split() == ["Cu", "Li_sv"]  # POTCAR_CHOICES
    assert info["potcar_symbols"] == ["Cu", "Li_sv"]


def test_symmetric_slab_no_dipole_relax_task_and_isolated_atom(tmp_path):
    sym = fcc111("Cu", (1, 1, 5), a=3.63, vacuum=10.0)
    write_vasp_inputs(sym, tmp_path / "s", task="relax", fmax_ev_per_a=0.03, potcar=False)
    incar = Incar.from_file(tmp_path / "s" / "INCAR")
    assert "LDIPOL" not in incar
    assert (incar["IBRION"], incar["ISIF"], incar["EDIFFG"]) == (2, 2, -0.03)
    cu = bulk("Cu", "fcc", a=3.63)
    write_vasp_inputs(cu, tmp_path / "b", task="relax", potcar=False)
    assert Incar.from_file(tmp_path / "b" / "INCAR")["ISIF"] == 3
    li = bulk("Li", "bcc", a=3.44)[:1]
    li.cell = [10.0, 10.5, 11.0]
    info = write_vasp_inputs(li, tmp_path / "a", potcar=False)
    incar = Incar.from_file(tmp_path / "a" / "INCAR")
    assert info["kpts"] == [1, 1, 1] and incar["ISPIN"] == 2 and incar["ISYM"] == 0


def test_potcar_presence_check_with_fake_psp_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("PMG_VASP_PSP_DIR", raising=False)
    from pymatgen.core import SETTINGS

    monkeypatch.setitem(SETTINGS, "PMG_VASP_PSP_DIR", None)
    with pytest.raises(CalculatorUnavailableError, match="PMG_VASP_PSP_DIR is not set"):
        check_potcars(["Cu_pv"])
    fake = tmp_path / "psp" / "POT_GGA_PAW_PBE_54" / "Cu_pv"
    fake.mkdir(parents=True)
    (fake / "POTCAR").write_text("fake\n")
    monkeypatch.setenv("PMG_VASP_PSP_DIR", str(tmp_path / "psp"))
    assert check_potcars(["Cu_pv"])["Cu_pv"] == fake / "POTCAR"
    with pytest.raises(CalculatorUnavailableError, match=r"POTCAR 'Li_sv' .* not found"):
        check_potcars(["Cu_pv", "Li_sv"])


def test_missing_command_and_bad_settings(monkeypatch):
    monkeypatch.delenv("ASE_VASP_COMMAND", raising=False)
    monkeypatch.delenv("VASP_COMMAND", raising=False)
    with pytest.raises(CalculatorUnavailableError, match="no VASP command configured"):
        get_calculator(CalculatorSpec("vasp"))
    monkeypatch.setenv("ASE_VASP_COMMAND", "no-such-vasp_std")
    with pytest.raises(CalculatorUnavailableError, match="not executable here"):
        get_calculator(CalculatorSpec("vasp"))
    with pytest.raises(ConfigurationError, match="ismear=3 is not allowed"):
        resolve_vasp_settings({"ismear": 3})
    with pytest.raises(ConfigurationError, match="unknown preset"):
        CalculatorSpec("vasp", {"preset": "ultra"})


def test_parse_real_vasprun_energy_forces_stress_sign():
    res = parse_vasprun(VASPRUN)
    assert res["energy"] == pytest.approx(-20.24010135)  # e_0_energy (sigma -> 0)
    assert res["free_energy"] == pytest.approx(-20.23985977)
    assert res["forces"].shape == (2, 3)
    # same numbers as ASE's own vasprun reader
    from ase.io import read

    ref = read(VASPRUN, format="vasp-xml")
    np.testing.assert_allclose(res["stress"], ref.get_stress(), atol=1e-8)
    np.testing.assert_allclose(res["forces"], ref.get_forces(), atol=1e-8)


def test_calculator_with_mocked_vasp_run(tmp_path, monkeypatch):
    """The runner is replaced by a copy of a real vasprun.xml; inputs are written for real."""
    from pymatgen.io.ase import AseAtomsAdaptor

    atoms = AseAtomsAdaptor.get_atoms(parse_vasprun(VASPRUN)["structure"])
    monkeypatch.setattr(
        VaspSetCalculator,
        "run_vasp",
        lambda self, run_dir: shutil.copy(VASPRUN, run_dir / "vasprun.xml"),
    )
    monkeypatch.setattr(
        "lithiophilic.potentials.dft.vasp.write_vasp_inputs",
        lambda a, d, s, task: write_vasp_inputs(a, d, s, task=task, potcar=False),
    )
    atoms.calc = VaspSetCalculator(directory=tmp_path)
    assert atoms.get_potential_energy() == pytest.approx(-20.24010135)
    assert atoms.get_stress().shape == (6,)
    assert (tmp_path / "vasp-001" / "INCAR").is_file()


def test_unconverged_vasprun_raises(tmp_path):
    text = VASPRUN.read_text()
    # cut the electronic loop short: NELM = number of steps done -> not converged
    import re

    n = len(re.findall("<scstep>", text))
    bad = re.sub(r'(<i type="int" name="NELM">)\s*\d+', rf"\g<1> {n}", text)
    (tmp_path / "vasprun.xml").write_text(bad)
    with pytest.raises(NotConvergedError, match="did not converge within NELM"):
        parse_vasprun(tmp_path / "vasprun.xml")
    with pytest.raises(Exception, match="wrote no"):
        parse_vasprun(tmp_path / "missing" / "vasprun.xml")
