"""VASP the way clusters run it: atomate2 jobs under custodian, one VASP run per relaxation.

:func:`vasp_makers` turns the ASE Makers of a study's relax/static slots into atomate2 VASP
Makers (``RelaxMaker``, ``StaticMaker``, ``NonSCFMaker``) with our input sets
(:class:`~lithiophilic.potentials.dft.vasp_sets.MetalSlabSetGenerator`). VASP relaxes
internally (IBRION 2), so a slab relaxation is one VASP run, not one VASP start per ASE
step. atomate2's ``run_vasp`` runs VASP under custodian with its default VASP error
handlers (:data:`CUSTODIAN_HANDLERS`) and validators.

Each atomate2 Maker is wrapped in a :class:`VaspRunMaker`, whose job first checks that VASP
can start where the job runs (the command, ``PMG_VASP_PSP_DIR`` and the POTCARs of the
structure; on a compute node that is after ``--pre-run``) and fails with the message that
names what to set, then replaces itself by the atomate2 job with that command.

Which command: the ``command`` calculator setting, else ``$ASE_VASP_COMMAND``, else
``$VASP_COMMAND``, else atomate2's ``VASP_CMD`` when the user set it (``ATOMATE2_VASP_CMD``,
``~/.atomate2.yaml``); see :func:`lithiophilic.potentials.dft.vasp.find_vasp_command`.

Files go along ``prev_dir`` where the next step reads them: the PDOS static writes a CHGCAR
that atomate2's ``NonSCFMaker`` copies into the DOS run (ICHARG 11). The bulk static after a
cell relaxation gets the relaxation's directory (its CONTCAR and INCAR, for provenance) but
no WAVECAR/CHGCAR: the relaxation ran at a higher cutoff (another basis and FFT grid). Slab
statics and relaxations run side by side (a relaxation started from the static's WAVECAR
would save part of one SCF out of ~50 ionic steps, and wait for the static), so they write
no WAVECAR.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from atomate2.vasp.jobs.base import BaseVaspMaker
from atomate2.vasp.jobs.core import NonSCFMaker, RelaxMaker, StaticMaker
from atomate2.vasp.run import run_vasp
from jobflow import Flow, Maker, Response, job
from pymatgen.core import Structure

from lithiophilic import defaults
from lithiophilic.errors import CalculationFailed, ConfigurationError
from lithiophilic.potentials import CalculatorSpec
from lithiophilic.potentials.dft.vasp import (
    check_potcars,
    check_vasp_installation,
    generator_kwargs,
)
from lithiophilic.potentials.dft.vasp_sets import (
    POTCAR_CHOICES,
    POTCAR_FUNCTIONAL,
    MetalSlabSetGenerator,
    max_enmax_ev,
)

__all__ = [
    "CUSTODIAN_HANDLERS",
    "VaspBulkRelaxMaker",
    "VaspRunMaker",
    "complete_dos_results",
    "dos_arrays",
    "read_complete_dos",
    "scf_mesh",
    "uses_vasp_makers",
    "vasp_makers",
    "vasp_pdos_makers",
    "with_vasp_makers",
]

logger = logging.getLogger(__name__)

#: custodian's error handlers every VASP job runs with: atomate2's ``run_vasp`` defaults.
CUSTODIAN_HANDLERS: tuple[Any, ...] = inspect.signature(run_vasp).parameters["handlers"].default

#: Slot names of the study Makers that get VASP Makers, and the role of each.
SLOT_ROLES: dict[str, str] = {
    "bulk_relax_maker": "bulk",
    "slab_static_maker": "static",
    "slab_relax_maker": "relax",
    "li_relax_maker": "relax",
    "atom_static_maker": "static",
}


def uses_vasp_makers(spec: CalculatorSpec) -> bool:
    """Return True if ``spec``'s backend runs as workflow Makers of its own (``vasp``)."""
    return bool(spec.backend.native_makers)


# --------------------------------------------------------------------------- jobs
@dataclass
class VaspRunMaker(Maker):
    """One atomate2 VASP job, started only where VASP can run.

    Parameters
    ----------
    name
        Job name (the check job; the VASP job keeps the atomate2 Maker's name).
    vasp_maker
        The atomate2 Maker (``RelaxMaker``, ``StaticMaker``, ``NonSCFMaker``) with its input
        set generator; custodian runs it with atomate2's default handlers.
    settings
        The VASP calculator settings (``command`` is read where the job runs).
    """

    name: str = "vasp"
    vasp_maker: BaseVaspMaker = field(default_factory=StaticMaker)
    settings: dict[str, Any] = field(default_factory=dict)

    @job
    def make(self, structure: Structure, prev_dir: str | Path | None = None) -> Response:
        """Check the VASP command and POTCARs, then replace this job by the VASP job.

        Raises
        ------
        CalculatorUnavailableError
            If no VASP command, no ``PMG_VASP_PSP_DIR`` or a POTCAR is missing here.
        """
        command = check_vasp_installation(self.settings)
        choices = {**POTCAR_CHOICES, **self.vasp_maker.input_set_generator.potcar_choices}
        symbols = [choices.get(el, el) for el in sorted({s.specie.symbol for s in structure})]
        check_potcars(symbols, POTCAR_FUNCTIONAL)
        kwargs = {**self.vasp_maker.run_vasp_kwargs, "vasp_cmd": command}
        maker = replace(self.vasp_maker, run_vasp_kwargs=kwargs)
        logger.info("%s: VASP command %r", self.vasp_maker.name, command)
        return Response(replace=maker.make(structure, prev_dir=prev_dir))


@dataclass
class VaspBulkRelaxMaker(Maker):
    """Cell relaxation (ISIF 3, higher cutoff), then a static at the compared cutoff.

    Parameters
    ----------
    name
        Flow name.
    relax_maker
        The cell relaxation.
    static_maker
        The static of the relaxed cell (its energy is the one compared).
    """

    name: str = "bulk relax"
    relax_maker: VaspRunMaker = field(default_factory=VaspRunMaker)
    static_maker: VaspRunMaker = field(default_factory=VaspRunMaker)

    def make(self, structure: Structure, prev_dir: str | Path | None = None) -> Flow:
        """Return the flow relax -> static; its output is the static's task document."""
        relax = self.relax_maker.make(structure, prev_dir=prev_dir)
        static = self.static_maker.make(relax.output.structure, prev_dir=relax.output.dir_name)
        return Flow([relax, static], output=static.output, name=self.name)


def _generator(spec: CalculatorSpec, task: str, **extra: Any) -> MetalSlabSetGenerator:
    return MetalSlabSetGenerator(task=task, **{**generator_kwargs(spec.settings()), **extra})  # type: ignore[arg-type]


def _run(spec: CalculatorSpec, maker: BaseVaspMaker) -> VaspRunMaker:
    return VaspRunMaker(name=maker.name, vasp_maker=maker, settings=spec.settings())


def _relax_maker(spec: CalculatorSpec, template: Any, *, name: str) -> RelaxMaker:
    """Return an atomate2 RelaxMaker with the template's fmax, steps and unconverged policy."""
    fmax = float(getattr(template, "fmax_ev_per_a", defaults.SLAB_FMAX_EV_PER_A))
    nsw = int(getattr(template, "max_steps", defaults.SLAB_MAX_STEPS))
    stop = {"handle_unsuccessful": False} if getattr(template, "allow_unconverged", False) else {}
    return RelaxMaker(
        name=name,
        input_set_generator=_generator(spec, "relax", fmax_ev_per_a=fmax, nsw=nsw),
        stop_children_kwargs=stop,
    )


def _slot_maker(spec: CalculatorSpec, slot: str, template: Any) -> Maker:
    role = SLOT_ROLES[slot]
    name = str(getattr(template, "name", slot.removesuffix("_maker").replace("_", " ")))
    if role == "static":
        static = StaticMaker(name=name, input_set_generator=_generator(spec, "static"))
        return _run(spec, static)
    if role == "relax":
        return _run(spec, _relax_maker(spec, template, name=name))
    relax = _relax_maker(spec, template, name=f"{name} (cell)")
    static = StaticMaker(name=f"{name} (static)", input_set_generator=_generator(spec, "static"))
    return VaspBulkRelaxMaker(
        name=name, relax_maker=_run(spec, relax), static_maker=_run(spec, static)
    )


def vasp_makers(spec: CalculatorSpec, templates: Mapping[str, Any]) -> dict[str, Maker]:
    """Return VASP Makers for a study's relax/static slots, keyed like ``templates``.

    Parameters
    ----------
    spec
        The ``vasp`` calculator spec (preset and settings).
    templates
        Slot name -> the ASE Maker it replaces (its ``name``, ``fmax_ev_per_a``,
        ``max_steps`` and ``allow_unconverged`` are kept). Slots: ``bulk_relax_maker`` (cell
        relaxation, then a static: :class:`VaspBulkRelaxMaker`), ``slab_static_maker``,
        ``slab_relax_maker``, ``li_relax_maker``, ``atom_static_maker`` (the isolated Li atom:
        the input set makes it spin-polarised and Γ-only).

    Returns
    -------
    dict
        Slot name -> Maker, each with ``make(structure, prev_dir=None)``.

    Raises
    ------
    ConfigurationError
        For an unknown slot, a calculator that is not VASP, or a cutoff below the ENMAX of
        Li_sv (every energy is compared with the Li references at one cutoff).
    """
    if not uses_vasp_makers(spec):
        msg = f"calculator: {spec.name!r} does not run as VASP Makers"
        raise ConfigurationError(msg)
    unknown = sorted(set(templates) - set(SLOT_ROLES))
    if unknown:
        msg = f"vasp_makers: unknown slot(s) {unknown}; slots are {sorted(SLOT_ROLES)}"
        raise ConfigurationError(msg)
    kwargs = generator_kwargs(spec.settings())
    li_enmax = max_enmax_ev(["Li"], kwargs["potcar_choices"])
    if kwargs["encut_ev"] < li_enmax:
        msg = (
            f"calculator 'vasp': encut_ev={kwargs['encut_ev']} eV is below the Li POTCAR's "
            f"ENMAX ({li_enmax} eV); every compared energy uses one cutoff, use at least that"
        )
        raise ConfigurationError(msg)
    return {slot: _slot_maker(spec, slot, tpl) for slot, tpl in templates.items()}


def with_vasp_makers(maker: Maker, spec: CalculatorSpec) -> Maker:
    """Return ``maker`` with every relax/static slot of ours (also in nested Makers) as VASP.

    Slots are the fields named in :data:`SLOT_ROLES` that hold one of our ASE Makers; a
    nested Maker field (a binding Maker's ``surface_maker``, ``site_maker``) is converted
    the same way. Slots holding a foreign Maker (a user's atomate2 Maker) are kept. A Maker
    with a ``spin_polarized`` field whose ``atom_static_maker`` becomes VASP records True
    there: the input set makes the isolated Li atom spin-polarised (ISPIN 2).

    Raises
    ------
    ConfigurationError
        As :func:`vasp_makers`.
    """
    import dataclasses

    from lithiophilic.workflows.task_docs import is_lithiophilic_maker

    if not dataclasses.is_dataclass(maker):
        return maker
    templates: dict[str, Any] = {}
    nested: dict[str, Any] = {}
    for f in dataclasses.fields(maker):
        value = getattr(maker, f.name)
        if f.name in SLOT_ROLES and is_lithiophilic_maker(value):
            templates[f.name] = value
        elif isinstance(value, Maker) and f.name not in SLOT_ROLES:
            nested[f.name] = with_vasp_makers(value, spec)
    extra: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(maker)}
    if "atom_static_maker" in templates and "spin_polarized" in names:
        extra["spin_polarized"] = True
    return replace(maker, **vasp_makers(spec, templates), **nested, **extra)  # type: ignore[type-var]


def vasp_pdos_makers(
    spec: CalculatorSpec, *, dos_kpt_density_a: float, width_ev: float
) -> tuple[VaspRunMaker, VaspRunMaker]:
    """Return the static (writes the CHGCAR) and the non-SCF uniform DOS run of a VASP PDOS.

    The DOS run: ICHARG 11 from the static's CHGCAR, a uniform Γ-centred mesh of
    ``dos_kpt_density_a``, LORBIT 11, Gaussian broadening ``width_ev`` (ISMEAR 0), NEDOS
    points; atomate2's ``NonSCFMaker`` copies the CHGCAR and parses the DOS.
    """
    static = StaticMaker(
        name="pdos static", input_set_generator=_generator(spec, "static", lcharg=True)
    )
    nscf = NonSCFMaker(
        name="pdos non-scf uniform",
        input_set_generator=_generator(
            spec, "nscf", dos_kpt_density_a=dos_kpt_density_a, dos_sigma_ev=width_ev
        ),
    )
    return _run(spec, static), _run(spec, nscf)


# --------------------------------------------------------------------------- DOS
def _field(doc: Any, *path: str) -> Any:
    """Return a nested field of a task document given as a model or a dict."""
    out = doc
    for key in path:
        out = out[key] if isinstance(out, Mapping) else getattr(out, key)
    return out


def read_complete_dos(dir_name: str | Path) -> tuple[Any, Any]:
    """Return ``(Vasprun, CompleteDos)`` of the VASP run in ``dir_name`` (host prefix allowed).

    Raises
    ------
    CalculationFailed
        If the directory holds no vasprun.xml(.gz) or it has no projected DOS (LORBIT 11).
    """
    from atomate2.utils.path import strip_hostname
    from pymatgen.io.vasp import Vasprun

    directory = Path(strip_hostname(str(dir_name)))
    found = sorted(directory.glob("vasprun.xml*"))
    if not found:
        msg = f"no vasprun.xml in {directory}: the VASP DOS run wrote none"
        raise CalculationFailed(msg)
    vr = Vasprun(str(found[0]), parse_potcar_file=False, parse_projected_eigen=False)
    if not vr.pdos:
        msg = f"{found[0]} has no projected DOS (LORBIT 11 needed)"
        raise CalculationFailed(msg)
    return vr, vr.complete_dos


def dos_arrays(
    complete_dos: Any, *, energy_window_ev: tuple[float, float], n_points: int
) -> dict[str, np.ndarray]:
    """Return the PDOS arrays of a pymatgen ``CompleteDos`` on our energy grid.

    The DOS is interpolated onto ``n_points`` energies of ``energy_window_ev`` relative to
    E_F (``complete_dos.efermi``); spins are summed; per site the s, p, d projections
    (LORBIT 11: each state's weight of l inside the atom's sphere, summed over m).

    Returns
    -------
    dict
        ``energies_ev`` (relative to E_F), ``total_dos`` (states/eV/cell) and ``pdos`` of
        shape (n_sites, 3, n_points) (states/eV), as a backend's ``PdosRunner`` returns them.
    """
    from pymatgen.electronic_structure.core import OrbitalType

    efermi = float(complete_dos.efermi)
    grid = np.linspace(energy_window_ev[0], energy_window_ev[1], n_points)
    energies = np.asarray(complete_dos.energies, dtype=float) - efermi

    def on_grid(dens: Mapping[Any, np.ndarray]) -> np.ndarray:
        total = np.sum([np.asarray(v, dtype=float) for v in dens.values()], axis=0)
        return np.interp(grid, energies, total, left=0.0, right=0.0)

    pdos = np.zeros((len(complete_dos.structure), 3, n_points))
    for i, site in enumerate(complete_dos.structure):
        spd = complete_dos.get_site_spd_dos(site)
        for j, orb in enumerate((OrbitalType.s, OrbitalType.p, OrbitalType.d)):
            if orb in spd:
                pdos[i, j] = on_grid(spd[orb].densities)
    return {"energies_ev": grid, "total_dos": on_grid(complete_dos.densities), "pdos": pdos}


def complete_dos_results(
    vasprun: Any,
    complete_dos: Any,
    *,
    energy_window_ev: tuple[float, float],
    n_points: int,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Return ``(results, arrays)`` of a VASP DOS run, as a backend's ``PdosRunner`` does.

    Arrays: :func:`dos_arrays` (VASP's DOS, Gaussian-broadened by the run's SIGMA).
    ``dos_converged_up_to_ev`` is the lowest energy of the highest band computed, relative
    to E_F: above it the DOS misses bands.
    """
    efermi = float(complete_dos.efermi)
    top_band = min(float(np.min(np.asarray(eig)[:, -1, 0])) for eig in vasprun.eigenvalues.values())
    kpts = vasprun.kpoints.kpts[0] if vasprun.kpoints.kpts else [1, 1, 1]
    directory = Path(vasprun.filename).parent if getattr(vasprun, "filename", None) else None
    results = {
        "energy_ev": float(vasprun.final_energy),
        "fermi_level_ev": efermi,
        "scf_kpts": [int(k) for k in kpts],
        "dos_kpts": [int(k) for k in kpts],
        "dos_run": "fixed-density",
        "dos_converged_up_to_ev": top_band - efermi,
        "spinpol": bool(vasprun.is_spin),
        "nprocs": 0 if directory is None else vasp_ranks(directory),
    }
    arrays = dos_arrays(complete_dos, energy_window_ev=energy_window_ev, n_points=n_points)
    return results, arrays


def vasp_ranks(directory: str | Path) -> int:
    """Return the MPI ranks VASP reports in the OUTCAR of ``directory`` (0: not found)."""
    import gzip
    import re

    for path in sorted(Path(directory).glob("OUTCAR*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt") as fh:  # type: ignore[operator]
            for _, line in zip(range(400), fh, strict=False):
                hit = re.search(r"running\s+(?:on\s+)?(\d+)\s+(?:total cores|mpi-ranks)", line)
                if hit:
                    return int(hit.group(1))
    return 0


def scf_mesh(dir_name: str | Path) -> list[int]:
    """Return the k-point mesh in the KPOINTS(.gz) of a VASP run directory (host prefix allowed).

    Raises
    ------
    CalculationFailed
        If the directory holds no KPOINTS file.
    """
    from atomate2.utils.path import strip_hostname
    from pymatgen.io.vasp.inputs import Kpoints

    directory = Path(strip_hostname(str(dir_name)))
    found = sorted(directory.glob("KPOINTS*"))
    if not found:
        msg = f"no KPOINTS in {directory}"
        raise CalculationFailed(msg)
    return [int(k) for k in Kpoints.from_file(str(found[0])).kpts[0]]


def static_energy_ev(task_doc: Any) -> float:
    """Return the final energy (eV, σ→0) of an atomate2 VASP task document (model or dict)."""
    return float(_field(task_doc, "output", "energy"))


def task_dir(task_doc: Any) -> str:
    """Return the run directory of an atomate2 VASP task document (model or dict)."""
    return str(_field(task_doc, "dir_name"))
