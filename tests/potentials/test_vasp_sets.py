"""VASP input sets (MetalSlabSetGenerator): the files written for our slabs, bulks and Li refs.

VASP is not installed here: these tests check what would be run (INCAR, KPOINTS, POSCAR,
POTCAR.spec), written by the same atomate2/pymatgen calls the VASP jobs use.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from atomate2.vasp.files import write_vasp_input_set
from pymatgen.io.ase import AseAtomsAdaptor
from pymatgen.io.vasp import Incar, Kpoints, Poscar

from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials.dft.common import kpts_from_density
from lithiophilic.potentials.dft.vasp import generator_kwargs
from lithiophilic.potentials.dft.vasp_sets import (
    POTCAR_ENMAX_EV,
    MetalSlabSetGenerator,
    cell_relax_encut_ev,
    is_asymmetric_slab,
)
from lithiophilic.structures import make_bulk, make_slabs
from lithiophilic.structures.oriented_sqs import make_oriented_sqs
from lithiophilic.structures.slabs import make_slab_from_oriented_bulk

#: The settings every VASP job of a study gets (the ``fast`` preset).
FAST = generator_kwargs({})


def _write(atoms: Atoms, task: str, tmp_path, **extra):
    """Write the input set of ``atoms`` as the VASP job would; return (incar, kpoints, poscar, spec)."""
    struct = AseAtomsAdaptor.get_structure(atoms)
    gen = MetalSlabSetGenerator(task=task, **{**FAST, **extra})  # type: ignore[arg-type]
    tmp_path.mkdir(parents=True, exist_ok=True)
    write_vasp_input_set(struct, gen, directory=tmp_path, potcar_spec=True, clean_prev=False)
    spec = (tmp_path / "POTCAR.spec").read_text().split()
    return (
        Incar.from_file(tmp_path / "INCAR"),
        Kpoints.from_file(tmp_path / "KPOINTS"),
        Poscar.from_file(tmp_path / "POSCAR"),
        spec,
    )


def _fixed_positions(atoms: Atoms) -> np.ndarray:
    idx = sorted(int(i) for c in atoms.constraints for i in c.get_indices())
    return np.round(atoms.positions[idx], 3)


def _poscar_fixed_positions(poscar: Poscar) -> np.ndarray:
    sd = poscar.selective_dynamics
    assert sd is not None, "POSCAR has no selective dynamics"
    cart = poscar.structure.cart_coords
    return np.round(np.array([cart[i] for i, f in enumerate(sd) if not any(f)]), 3)


def _same_rows(a: np.ndarray, b: np.ndarray) -> bool:
    def key(x):
        return x[np.lexsort(x.T[::-1])]

    return a.shape == b.shape and np.allclose(key(a), key(b), atol=2e-3)


@pytest.fixture(scope="module")
def cu111():
    """Cu(111), 5 planes, the central plane fixed (mirror-symmetric)."""
    return make_slabs(
        make_bulk("Cu"), (1, 1, 1), n_layers=5, vacuum_a=10.0, n_fixed_layers=1, fix="center"
    )[0]


@pytest.fixture(scope="module")
def gamma_brass_slab():
    """γ-brass (Cu5Zn8) (110) slab, the bottom plane fixed (one face relaxes)."""
    return make_slabs(
        make_bulk("Cu5Zn8"),
        (1, 1, 0),
        min_thickness_a=6.0,
        vacuum_a=10.0,
        n_fixed_layers=1,
        fix="bottom",
        max_terminations=1,
    )[0]


@pytest.fixture(scope="module")
def sqs_slab():
    """Cu0.64Zn0.36 SQS (111) slab, 3 planes of 25 atoms, the central plane fixed."""
    cell = make_oriented_sqs(
        {"Cu": 0.64, "Zn": 0.36}, (1, 1, 1), a_a=3.70, n_layers=3, seed=0, n_steps=500
    )
    return make_slab_from_oriented_bulk(cell, vacuum_a=10.0, n_fixed_layers=1, fix="center")


def test_cu111_symmetric_slab(cu111, tmp_path):
    incar, kpoints, poscar, spec = _write(cu111, "relax", tmp_path)
    assert (incar["ISMEAR"], incar["SIGMA"]) == (1, 0.2)  # Methfessel-Paxton, fast preset
    assert (incar["IBRION"], incar["ISIF"], incar["EDIFFG"]) == (2, 2, -0.05)
    assert incar["ENCUT"] == 520.0
    assert incar["GGA"].upper() == "PE" and incar["LORBIT"] == 11
    assert "LDIPOL" not in incar  # centre-fixed Cu(111): mirror-symmetric, no dipole
    assert kpoints.style.name == "Gamma"
    mesh = list(kpoints.kpts[0])
    assert mesh[2] == 1 and mesh == kpts_from_density(cu111, FAST["kpt_density_a"])
    assert mesh[0] > 1
    assert _same_rows(_fixed_positions(cu111), _poscar_fixed_positions(poscar))
    assert spec == ["Cu"]


def test_cu111_bottom_fixed_gets_dipole_correction(tmp_path):
    slab = make_slabs(
        make_bulk("Cu"), (1, 1, 1), n_layers=5, vacuum_a=10.0, n_fixed_layers=2, fix="bottom"
    )[0]
    assert slab.info["symmetric"]  # same termination on both faces ...
    struct = AseAtomsAdaptor.get_structure(slab)
    assert is_asymmetric_slab(struct)  # ... but only the top face relaxes
    incar, _, poscar, _ = _write(slab, "static", tmp_path)
    assert (incar["LDIPOL"], incar["IDIPOL"]) == (True, 3)
    centre = incar["DIPOL"][2]
    z = np.sort(slab.get_scaled_positions()[:, 2])
    assert z[0] < centre < z[-1]
    assert _same_rows(_fixed_positions(slab), _poscar_fixed_positions(poscar))
    assert not incar["LWAVE"] and not incar["LCHARG"]  # no later step reads them
    pdos_static, *_ = _write(slab, "static", tmp_path / "pdos", lcharg=True)
    assert pdos_static["LCHARG"] and not pdos_static["LWAVE"]  # CHGCAR for the DOS run


def test_gamma_brass_slab(gamma_brass_slab, tmp_path):
    incar, kpoints, poscar, spec = _write(gamma_brass_slab, "relax", tmp_path)
    assert (incar["LDIPOL"], incar["IDIPOL"]) == (True, 3)  # bottom-fixed
    assert incar["ISIF"] == 2 and incar["ENCUT"] == 520.0
    assert kpoints.kpts[0][2] == 1
    assert list(kpoints.kpts[0]) == kpts_from_density(gamma_brass_slab, FAST["kpt_density_a"])
    assert sorted(spec) == ["Cu", "Zn"]
    assert spec == poscar.site_symbols  # one POTCAR per species block, in POSCAR order
    counts = dict(zip(poscar.site_symbols, poscar.natoms, strict=True))
    assert counts == {el: gamma_brass_slab.get_chemical_symbols().count(el) for el in ("Cu", "Zn")}
    assert _same_rows(_fixed_positions(gamma_brass_slab), _poscar_fixed_positions(poscar))


def test_sqs_slab_faces_differ(sqs_slab, tmp_path):
    assert not sqs_slab.info["symmetric"]
    incar, kpoints, poscar, spec = _write(sqs_slab, "relax", tmp_path)
    assert incar["LDIPOL"] is True  # the two faces carry different decorations
    assert kpoints.kpts[0][2] == 1
    assert sorted(spec) == ["Cu", "Zn"] and len(spec) == 2  # sorted: no repeated blocks
    assert _same_rows(_fixed_positions(sqs_slab), _poscar_fixed_positions(poscar))
    n_fixed = sum(1 for f in poscar.selective_dynamics if not any(f))
    assert 0 < n_fixed < len(sqs_slab)


def test_one_encut_for_every_compared_energy(cu111, tmp_path):
    li_atom = Atoms("Li", positions=[[0, 0, 0]], cell=[15.0] * 3, pbc=True)
    compared = {
        "Cu bulk static": (make_bulk("Cu"), "static"),
        "Li bulk static": (make_bulk("Li"), "static"),
        "Cu(111) static": (cu111, "static"),
        "Cu(111) relax": (cu111, "relax"),
        "Li atom": (li_atom, "static"),
    }
    encuts = {}
    for i, (name, (atoms, task)) in enumerate(compared.items()):
        incar, *_ = _write(atoms, task, tmp_path / str(i))
        encuts[name] = incar["ENCUT"]
    assert set(encuts.values()) == {520.0}, encuts
    # cell relaxations: at least 1.3 x ENMAX (Li_sv 499 eV -> 649 eV), else the common cutoff
    li_relax, *_ = _write(make_bulk("Li"), "relax", tmp_path / "li")
    cu_relax, *_ = _write(make_bulk("Cu"), "relax", tmp_path / "cu")
    assert li_relax["ISIF"] == 3 and li_relax["ENCUT"] == np.ceil(1.3 * POTCAR_ENMAX_EV["Li_sv"])
    assert cu_relax["ISIF"] == 3 and cu_relax["ENCUT"] == 520.0
    assert cell_relax_encut_ev(["Cu", "Zn"], 520.0) == 520.0


def test_isolated_li_atom_spin_gamma_large_box(tmp_path):
    atom = Atoms("Li", positions=[[0, 0, 0]], cell=[15.0] * 3, pbc=True)
    incar, kpoints, _, spec = _write(atom, "static", tmp_path)
    assert incar["ISPIN"] == 2 and incar["MAGMOM"] == [1.0]
    assert (incar["ISMEAR"], incar["SIGMA"]) == (0, 0.01)
    assert incar["ISYM"] == 0
    assert kpoints.style.name == "Gamma" and list(kpoints.kpts[0]) == [1, 1, 1]
    assert spec == ["Li_sv"]
    small = Atoms("Li", positions=[[0, 0, 0]], cell=[8.0] * 3, pbc=True)
    with pytest.raises(ConfigurationError, match=r"box edge 8\.0 Å is below 12\.0 Å"):
        _write(small, "static", tmp_path / "small")


def test_bulk_metal_not_spin_polarised(tmp_path):
    incar, kpoints, _, _ = _write(make_bulk("Cu"), "static", tmp_path)
    assert incar["ISPIN"] == 1 and "MAGMOM" not in incar
    assert min(kpoints.kpts[0]) > 1


def test_nscf_dos_run(tmp_path):
    cu = make_bulk("Cu")
    incar, kpoints, _, _ = _write(cu, "nscf", tmp_path, dos_kpt_density_a=8.0, dos_sigma_ev=0.1)
    assert (incar["ICHARG"], incar["LORBIT"], incar["NEDOS"]) == (11, 11, 3001)
    assert (incar["ISMEAR"], incar["SIGMA"]) == (0, 0.1)
    assert incar["NSW"] == 0 and not incar["LCHARG"]
    assert list(kpoints.kpts[0]) == kpts_from_density(cu, 8.0)
    scf_incar, scf_k, _, _ = _write(cu, "static", tmp_path / "scf")
    assert np.prod(kpoints.kpts[0]) > np.prod(scf_k.kpts[0])  # denser than the SCF
    assert scf_incar["ENCUT"] == incar["ENCUT"]


def test_bad_settings_raise(tmp_path):
    with pytest.raises(ConfigurationError, match="task: 'md' is not one of"):
        MetalSlabSetGenerator(task="md")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="sigma_ev must be > 0"):
        MetalSlabSetGenerator(sigma_ev=0.0)
    with pytest.raises(ConfigurationError, match=r"encut_ev: 400.0 eV is below .* \['Li'\]"):
        _write(make_bulk("Li"), "static", tmp_path, encut_ev=400.0)
    with pytest.raises(ConfigurationError, match=r"kpts .*not used by the VASP jobs"):
        generator_kwargs({"kpts": [2, 2, 2]})


def test_potcar_choice_override(tmp_path):
    *_, spec = _write(make_bulk("Cu"), "static", tmp_path, potcar_choices={"Cu": "Cu_pv"})
    assert spec == ["Cu_pv"]
