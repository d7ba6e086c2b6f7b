"""VASP backend (``vasp``): settings, command and POTCAR checks, output parsing.

Studies run VASP as atomate2 jobs under custodian, one VASP run per relaxation
(:func:`lithiophilic.workflows.vasp.vasp_makers`, input sets of
:mod:`lithiophilic.potentials.dft.vasp_sets`); the registry marks the backend
``native_makers``.  Paths that need an ASE calculator (the prescreen/refine calculator of
the Li-site study, ``get_calculator("vasp")``) still get :class:`VaspSetCalculator`:

The ASE calculator :class:`VaspSetCalculator`,
for every energy/force evaluation, writes a pymatgen ``MPStaticSet`` tuned for metals and
slabs (INCAR, KPOINTS, POSCAR with selective dynamics from ``FixAtoms``, POTCAR), runs the
user's VASP command in its directory and parses ``vasprun.xml`` with pymatgen.  The ASE
optimizer of :func:`lithiophilic.workflows.base.run_ase_calc` then drives relaxations, so
VASP is "the calculator of every flow" with the same convergence checks, cache keys and
documents as GPAW and the MLIPs.  (An atomate2 Maker would give VASP-internal relaxations
but a second code path for every flow; :func:`write_vasp_inputs` with ``task="relax"``
writes such VASP-native relaxation inputs for users who prefer them.)

Settings: ENCUT, a k-point density shared with GPAW (Γ-centred, 1 along vacuum),
ISMEAR/SIGMA for metals, LORBIT = 11 (PDOS), spin only for isolated atoms, LDIPOL/IDIPOL = 3
with DIPOL at the slab's centre for slabs without a top/bottom symmetry.

Where VASP lives (:func:`find_vasp_command`, evaluated where the job runs): the ``command``
setting, else ``$ASE_VASP_COMMAND``, else ``$VASP_COMMAND``, else atomate2's ``VASP_CMD`` if
the user set it (``ATOMATE2_VASP_CMD`` or ``~/.atomate2.yaml``); ``ASE_VASP_COMMAND`` wins
over atomate2's ``VASP_CMD``, and atomate2's built-in default ``vasp_std`` is never guessed.  POTCARs: pymatgen's ``PMG_VASP_PSP_DIR`` (``~/.config/.pmgrc.yaml``
or the environment), laid out as ``POT_GGA_PAW_PBE_54/<symbol>/POTCAR``; convert a VASP
``potpaw_PBE`` tree (ASE's ``VASP_PP_PATH``) with ``pmg config -p <dir> <out>``.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from ase.calculators.calculator import Calculator, all_changes

from lithiophilic.errors import (
    CalculationFailed,
    CalculatorUnavailableError,
    ConfigurationError,
    NotConvergedError,
)
from lithiophilic.potentials.dft.common import (
    dft_choices,
    frozen_mesh_settings,
    resolve_dft_settings,
    start_calculation,
)
from lithiophilic.potentials.registry import CalculatorBackend, register_calculator

if TYPE_CHECKING:
    from ase import Atoms
    from pymatgen.io.vasp.sets import VaspInputSet

__all__ = [
    "VASP_DEFAULTS",
    "VASP_PRESETS",
    "VaspSetCalculator",
    "check_potcars",
    "check_vasp_installation",
    "find_vasp_command",
    "generator_kwargs",
    "parse_vasprun",
    "resolve_vasp_settings",
    "vasp_input_set",
    "write_vasp_inputs",
]

logger = logging.getLogger(__name__)

#: Settings groups selected with ``preset``.
VASP_PRESETS: dict[str, dict[str, Any]] = {
    # 520 eV: above the largest ENMAX of our POTCARs (Li_sv, 499 eV), so one cutoff serves
    # every compared energy (vasp_sets.POTCAR_ENMAX_EV)
    "fast": {"encut_ev": 520.0, "kpt_density_a": 3.5, "sigma_ev": 0.2},
    "accurate": {"encut_ev": 600.0, "kpt_density_a": 6.0, "sigma_ev": 0.1},
}

#: Defaults of every setting (the ``fast`` preset's values are applied on top).
VASP_DEFAULTS: dict[str, Any] = {
    "preset": "fast",
    "xc": "PBE",
    "potcar_functional": "PBE_54",
    "encut_ev": 520.0,
    "kpt_density_a": 3.5,
    "kpts": None,
    "ismear": 1,
    "sigma_ev": 0.2,
    "ediff_ev": 1e-6,
    "nelm": 200,
    "lorbit": 11,
    "spinpol": "auto",
    "dipole_correction": "auto",
    "incar": {},
    "potcar": {},
    "nedos": 3001,
    "command": None,
}

#: Settings that do not change results (excluded from the reuse key).
RUNTIME_KEYS = frozenset({"command"})

_INSTALL_HINT = (
    "VASP is licensed software and is not installed by lithiophilic: set ASE_VASP_COMMAND "
    "(e.g. 'srun vasp_std'; it wins over atomate2's ATOMATE2_VASP_CMD) and PMG_VASP_PSP_DIR "
    "(POTCAR directory, see 'pmg config -p')."
)


def resolve_vasp_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Return complete, checked settings: defaults, then the preset, then ``settings``.

    Raises
    ------
    ConfigurationError
        For an unknown key or preset, or a value outside its allowed range.
    """
    checks = [
        ("encut_ev", lambda v: v > 0, "> 0 eV"),
        ("sigma_ev", lambda v: v > 0, "> 0 eV"),
        ("ismear", lambda v: v in (-5, -1, 0, 1, 2), "one of -5, -1, 0, 1, 2"),
    ]
    return resolve_dft_settings("vasp", settings, VASP_DEFAULTS, VASP_PRESETS, checks)


def _atomate2_vasp_cmd() -> str | None:
    """Return atomate2's ``VASP_CMD`` if the user set it (env or yaml), else None."""
    from atomate2 import SETTINGS

    return SETTINGS.VASP_CMD if "VASP_CMD" in SETTINGS.model_fields_set else None


def find_vasp_command(explicit: str | None = None) -> str:
    """Return the VASP command: ``explicit``, ``$ASE_VASP_COMMAND``, ``$VASP_COMMAND``, atomate2's.

    atomate2's ``VASP_CMD`` counts only when set by the user (``ATOMATE2_VASP_CMD`` or
    ``~/.atomate2.yaml``), so ``ASE_VASP_COMMAND`` wins over it.

    Raises
    ------
    CalculatorUnavailableError
        If none is set, or its executable is not found.
    """
    import shutil

    command = (
        explicit
        or os.environ.get("ASE_VASP_COMMAND")
        or os.environ.get("VASP_COMMAND")
        or _atomate2_vasp_cmd()
    )
    if not command:
        msg = f"calculator 'vasp': no VASP command configured. {_INSTALL_HINT}"
        raise CalculatorUnavailableError(msg)
    words = shlex.split(command)
    missing = [w for w in words[:1] if shutil.which(w) is None]
    if missing:
        msg = f"calculator 'vasp': the command {command!r} is not executable here ({missing[0]!r} not found). {_INSTALL_HINT}"
        raise CalculatorUnavailableError(msg)
    return command


def check_potcars(symbols: Sequence[str], functional: str = "PBE_54") -> dict[str, Path]:
    """Return the POTCAR file of each POTCAR symbol, checking that it exists.

    Raises
    ------
    CalculatorUnavailableError
        If ``PMG_VASP_PSP_DIR`` is not set or a POTCAR is missing (named in the message).
    """
    from pymatgen.core import SETTINGS
    from pymatgen.io.vasp.inputs import PotcarSingle

    root = os.environ.get("PMG_VASP_PSP_DIR") or SETTINGS.get("PMG_VASP_PSP_DIR")
    if not root:
        msg = f"calculator 'vasp': PMG_VASP_PSP_DIR is not set, so no POTCAR can be written. {_INSTALL_HINT}"
        raise CalculatorUnavailableError(msg)
    subdir = PotcarSingle.functional_dir.get(functional, f"POT_GGA_PAW_{functional}")
    found: dict[str, Path] = {}
    for sym in dict.fromkeys(symbols):
        base = Path(root) / subdir
        cands = [
            base / sym / "POTCAR",
            base / sym / "POTCAR.gz",
            base / f"POTCAR.{sym}",
            base / f"POTCAR.{sym}.gz",
        ]
        hit = next((c for c in cands if c.is_file()), None)
        if hit is None:
            msg = f"calculator 'vasp': POTCAR {sym!r} ({functional}) not found under {base}. {_INSTALL_HINT}"
            raise CalculatorUnavailableError(msg)
        found[sym] = hit
    return found


def check_vasp_installation(settings: Mapping[str, Any]) -> str:
    """Check that VASP can start here: a command and a POTCAR directory; return the command.

    Run before any job of a local run, and at the start of every VASP job (on the compute
    node of a submitted one, after its ``--pre-run``).

    Raises
    ------
    CalculatorUnavailableError
        Naming what to set: ``ASE_VASP_COMMAND`` (or ``ATOMATE2_VASP_CMD``), ``PMG_VASP_PSP_DIR``.
    """
    from pymatgen.core import SETTINGS

    command = find_vasp_command(settings.get("command"))
    root = os.environ.get("PMG_VASP_PSP_DIR") or SETTINGS.get("PMG_VASP_PSP_DIR")
    if not root:
        msg = f"calculator 'vasp': PMG_VASP_PSP_DIR is not set, so no POTCAR can be written. {_INSTALL_HINT}"
        raise CalculatorUnavailableError(msg)
    if not Path(root).is_dir():
        msg = f"calculator 'vasp': PMG_VASP_PSP_DIR={root!r} is not a directory. {_INSTALL_HINT}"
        raise CalculatorUnavailableError(msg)
    return command


def generator_kwargs(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Return :class:`~lithiophilic.potentials.dft.vasp_sets.MetalSlabSetGenerator` fields.

    From the VASP settings (:data:`VASP_DEFAULTS`, preset applied); ``kpts`` (a fixed mesh)
    has no generator field and is rejected.

    Raises
    ------
    ConfigurationError
        For bad settings, or a fixed ``kpts`` mesh.
    """
    r = resolve_vasp_settings(settings)
    if r["kpts"] is not None:
        msg = "calculator 'vasp': kpts (a fixed mesh) is not used by the VASP jobs; give kpt_density_a"
        raise ConfigurationError(msg)
    if r["xc"] != "PBE" or r["potcar_functional"] != "PBE_54":
        msg = (
            f"calculator 'vasp': the VASP jobs use PBE with PBE_54 POTCARs; got xc={r['xc']!r}, "
            f"potcar_functional={r['potcar_functional']!r}"
        )
        raise ConfigurationError(msg)
    return {
        "encut_ev": float(r["encut_ev"]),
        "kpt_density_a": float(r["kpt_density_a"]),
        "ismear": int(r["ismear"]),
        "sigma_ev": float(r["sigma_ev"]),
        "ediff_ev": float(r["ediff_ev"]),
        "nelm": int(r["nelm"]),
        "spinpol": r["spinpol"],
        "dipole_correction": r["dipole_correction"],
        "potcar_choices": dict(r["potcar"]),
        "nedos": int(r["nedos"]),
        "incar_overrides": {"LORBIT": int(r["lorbit"]), **dict(r["incar"])},
    }


# --------------------------------------------------------------------------- inputs
def _incar(
    atoms: Atoms,
    settings: Mapping[str, Any],
    task: Literal["static", "relax"],
    fmax_ev_per_a: float,
    nsw: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the INCAR overrides and a summary (system kind, kpts, spin, dipole)."""
    choices = dft_choices(atoms, settings, "vasp")
    kind, spinpol, dipole = choices["system_kind"], choices["spinpol"], choices["dipole_correction"]
    incar: dict[str, Any] = {
        "ENCUT": float(settings["encut_ev"]),
        "ISMEAR": int(settings["ismear"]),
        "SIGMA": float(settings["sigma_ev"]),
        "EDIFF": float(settings["ediff_ev"]),
        "NELM": int(settings["nelm"]),
        "LORBIT": int(settings["lorbit"]),
        "ISPIN": 2 if spinpol else 1,
        "LWAVE": False,
        "LCHARG": task == "static",
        "LREAL": "Auto" if len(atoms) > 16 else False,
        "ISYM": 0 if kind == "molecule" else 2,
        "IBRION": -1 if task == "static" else 2,
        "NSW": 0 if task == "static" else int(nsw),
        "ISIF": 2 if task == "static" else (3 if kind == "bulk" else 2),
    }
    if task == "relax":
        incar["EDIFFG"] = -abs(float(fmax_ev_per_a))
    if spinpol:
        incar["MAGMOM"] = dict.fromkeys(atoms.get_chemical_symbols(), 1.0)  # per species
    if dipole:
        centre = atoms.get_scaled_positions(wrap=False)[:, 2].mean()
        incar.update({"LDIPOL": True, "IDIPOL": 3, "DIPOL": [0.5, 0.5, round(float(centre), 4)]})
    incar.update(settings["incar"])
    summary = {k: v for k, v in choices.items() if k != "isolated_atom"}
    return incar, summary


def _static_set(
    struct: Any, incar: dict[str, Any], kpoints: Any, functional: str, potcar: Mapping[str, str]
) -> VaspInputSet:
    from pymatgen.io.vasp.sets import MPStaticSet

    from lithiophilic.potentials.dft.vasp_sets import POTCAR_CHOICES

    return MPStaticSet(
        struct,
        user_incar_settings=incar,
        user_kpoints_settings=kpoints,
        user_potcar_functional=functional,  # type: ignore[arg-type]
        user_potcar_settings={**POTCAR_CHOICES, **potcar},
        sort_structure=False,
        lcalcpol=False,
        reciprocal_density=100,
    )


def vasp_input_set(
    atoms: Atoms,
    settings: Mapping[str, Any] | None = None,
    *,
    task: Literal["static", "relax"] = "static",
    fmax_ev_per_a: float = 0.05,
    nsw: int = 200,
) -> tuple[VaspInputSet, dict[str, Any]]:
    """Return the pymatgen input set for ``atoms`` and a summary of the choices made.

    Fixed atoms (``FixAtoms``) become POSCAR selective dynamics ``F F F``; atom order is
    kept (no sorting), so forces map back onto ``atoms``.

    Parameters
    ----------
    atoms
        Structure.
    settings
        VASP settings (:data:`VASP_DEFAULTS`); ``incar`` overrides any INCAR tag.
    task
        ``"static"`` (one SCF, what the ASE calculator runs) or ``"relax"`` (VASP's own
        conjugate-gradient relaxation: IBRION = 2, EDIFFG = -fmax, ISIF 3 for bulk, 2 otherwise).
    fmax_ev_per_a
        Force threshold of ``task="relax"``, eV/Å.
    nsw
        Ionic steps of ``task="relax"``.
    """
    from pymatgen.io.ase import AseAtomsAdaptor
    from pymatgen.io.vasp.inputs import Kpoints

    resolved = resolve_vasp_settings(settings or {})
    if task not in ("static", "relax"):
        msg = f"task: {task!r} is not one of 'static', 'relax'"
        raise ConfigurationError(msg)
    incar, summary = _incar(atoms, resolved, task, fmax_ev_per_a, nsw)
    struct = AseAtomsAdaptor.get_structure(atoms)
    if "selective_dynamics" not in struct.site_properties:
        struct.add_site_property("selective_dynamics", [[True] * 3] * len(struct))
    kpoints = Kpoints.gamma_automatic(tuple(summary["kpts"]))
    with warnings.catch_warnings():  # PBE_54 instead of MP's legacy PBE set is deliberate
        warnings.filterwarnings("ignore", message="Overriding the POTCAR functional")
        warnings.filterwarnings("ignore", message="Overriding POTCARs")  # POTCAR_CHOICES
        vis = _static_set(struct, incar, kpoints, resolved["potcar_functional"], resolved["potcar"])
    if not summary["spinpol"]:
        vis.user_incar_settings["MAGMOM"] = None  # MP's default moments only with ISPIN 2
    return vis, summary


def write_vasp_inputs(
    atoms: Atoms,
    directory: str | Path,
    settings: Mapping[str, Any] | None = None,
    *,
    task: Literal["static", "relax"] = "static",
    fmax_ev_per_a: float = 0.05,
    nsw: int = 200,
    potcar: bool = True,
) -> dict[str, Any]:
    """Write INCAR, KPOINTS, POSCAR and POTCAR (or ``POTCAR.spec`` without POTCARs) to ``directory``.

    Parameters
    ----------
    potcar
        Write the real POTCAR (needs ``PMG_VASP_PSP_DIR``); False writes ``POTCAR.spec``
        (the POTCAR symbols) instead, for inspecting inputs without POTCARs.

    Returns
    -------
    dict
        The summary of :func:`vasp_input_set` plus ``potcar_symbols``.

    Raises
    ------
    CalculatorUnavailableError
        If ``potcar`` and a POTCAR is missing.
    """
    vis, summary = vasp_input_set(atoms, settings, task=task, fmax_ev_per_a=fmax_ev_per_a, nsw=nsw)
    symbols = list(vis.potcar_symbols)
    if potcar:
        check_potcars(symbols, resolve_vasp_settings(settings or {})["potcar_functional"])
    Path(directory).mkdir(parents=True, exist_ok=True)
    vis.write_input(str(directory), potcar_spec=not potcar)
    return {**summary, "potcar_symbols": symbols}


# --------------------------------------------------------------------------- outputs
def parse_vasprun(path: str | Path) -> dict[str, Any]:
    """Return energy (σ→0), free energy, forces (eV/Å) and stress (ASE convention, eV/Å³).

    Stress: VASP's vasprun ``stress`` (kBar, positive = compressive) times −0.1 GPa,
    in Voigt order xx, yy, zz, yz, xz, xy, as ASE does.

    Raises
    ------
    NotConvergedError
        If the last electronic step did not converge (NELM reached).
    CalculationFailed
        If the file is missing or cannot be parsed.
    """
    from ase.units import GPa
    from pymatgen.io.vasp import Vasprun

    path = Path(path)
    if not path.is_file():
        msg = f"VASP wrote no {path.name} in {path.parent}; see the VASP output there"
        raise CalculationFailed(msg)
    try:
        vr = Vasprun(str(path), parse_dos=False, parse_eigen=False, parse_potcar_file=False)
    except Exception as exc:
        msg = f"cannot parse {path} ({type(exc).__name__}: {exc}); the VASP run probably crashed"
        raise CalculationFailed(msg) from exc
    if not vr.converged_electronic:
        msg = f"VASP SCF did not converge within NELM = {vr.parameters.get('NELM')} steps ({path})"
        raise NotConvergedError(msg)
    step = vr.ionic_steps[-1]
    stress = None
    if step.get("stress") is not None:
        s = -0.1 * GPa * np.asarray(step["stress"], dtype=float)
        stress = s.reshape(9)[[0, 4, 8, 5, 2, 1]]
    return {
        "energy": float(step["e_0_energy"]),
        "free_energy": float(step["e_fr_energy"]),
        "forces": np.asarray(step["forces"], dtype=float),
        "stress": stress,
        "structure": vr.final_structure,
        "efermi_ev": vr.efermi,
    }


# --------------------------------------------------------------------------- ASE calculator
class VaspSetCalculator(Calculator):
    """ASE calculator: write a pymatgen input set, run VASP, parse ``vasprun.xml``.

    Parameters
    ----------
    directory
        Run directory (each evaluation in ``vasp-NNN/``; inputs and outputs are kept).
    **settings
        See :data:`VASP_DEFAULTS` and :data:`VASP_PRESETS`.
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress"]  # noqa: RUF012
    name = "vasp"

    def __init__(self, *, directory: str | Path = ".", **settings: Any) -> None:
        super().__init__(directory=str(directory))
        self.settings = resolve_vasp_settings(settings)
        self.last_summary: dict[str, Any] = {}
        self._step = 0

    def calculate(
        self,
        atoms: Atoms | None = None,
        properties: Sequence[str] = ("energy",),
        system_changes: Sequence[str] = tuple(all_changes),
    ) -> None:
        """Run one VASP single point of ``atoms`` (energy, forces; stress of bulk cells)."""
        kind = start_calculation(self, atoms, properties, system_changes, "VASP")
        assert self.atoms is not None
        self._step += 1
        run_dir = Path(self.directory) / f"vasp-{self._step:03d}"
        settings = frozen_mesh_settings(self, self.atoms, self.settings, "vasp")
        summary = write_vasp_inputs(self.atoms, run_dir, settings, task="static")
        self.last_summary = summary
        self.run_vasp(run_dir)
        res = parse_vasprun(run_dir / "vasprun.xml")
        if len(res["forces"]) != len(self.atoms):
            msg = (
                f"VASP returned {len(res['forces'])} forces for {len(self.atoms)} atoms ({run_dir})"
            )
            raise CalculationFailed(msg)
        self.results = {k: res[k] for k in ("energy", "free_energy", "forces")}
        if kind == "bulk" and res["stress"] is not None:
            self.results["stress"] = res["stress"]

    def run_vasp(self, run_dir: Path) -> None:
        """Run the VASP command in ``run_dir`` (tests replace this with a mock).

        Raises
        ------
        CalculationFailed
            If the command exits with a non-zero status.
        """
        command = find_vasp_command(self.settings["command"])
        with (run_dir / "vasp.out").open("w") as fh:
            proc = subprocess.run(
                shlex.split(command), cwd=run_dir, stdout=fh, stderr=subprocess.STDOUT
            )
        if proc.returncode != 0:
            msg = (
                f"VASP ({command}) exited with status {proc.returncode} in {run_dir}; see vasp.out"
            )
            raise CalculationFailed(msg)


def make_vasp(**settings: Any) -> VaspSetCalculator:
    """Return a :class:`VaspSetCalculator` (the ``vasp`` registry factory).

    Raises
    ------
    CalculatorUnavailableError
        If no VASP command is configured or ``PMG_VASP_PSP_DIR`` is not set.
    """
    resolved = resolve_vasp_settings(settings)
    find_vasp_command(resolved["command"])
    from pymatgen.core import SETTINGS

    if not (os.environ.get("PMG_VASP_PSP_DIR") or SETTINGS.get("PMG_VASP_PSP_DIR")):
        msg = f"calculator 'vasp': PMG_VASP_PSP_DIR is not set. {_INSTALL_HINT}"
        raise CalculatorUnavailableError(msg)
    return VaspSetCalculator(**settings)


register_calculator(
    CalculatorBackend(
        name="vasp",
        factory=make_vasp,
        package="pymatgen",
        kind="dft",
        description="VASP: atomate2 jobs under custodian (needs ASE_VASP_COMMAND and PMG_VASP_PSP_DIR)",
        default_kwargs=dict(VASP_DEFAULTS),
        model_key="xc",
        install_hint=_INSTALL_HINT,
        module="pymatgen.io.vasp",
        presets=VASP_PRESETS,
        runtime_keys=RUNTIME_KEYS,
        capabilities=frozenset({"stress", "spin", "pdos"}),
        validate_settings=resolve_vasp_settings,
        installation_check=check_vasp_installation,
        native_makers=True,
    )
)
