"""PDOS flow (Fig. 5b): [relax the lattice] → SCF → DOS on a denser k-mesh → per-element PDOS.

Reads top to bottom: the result document, the PDOS job Maker, then :class:`PdosMaker`.
Needs a calculator whose backend declares the ``"pdos"`` capability (a DFT code with
electrons, e.g. ``gpaw``; MLIPs have none) and runs the backend's own ``pdos_runner``.
The energy grid and the PDOS arrays go to the job store's additional ``data`` store, the
numbers to the document.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from jobflow import Flow, JobConfig, Maker, job
from pydantic import ConfigDict, Field
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.analysis.pdos import (
    D_BAND_WINDOW_EV,
    DOS_AT_FERMI_WINDOW_EV,
    PDOS_DEFINITION,
    element_pdos,
    pdos_summary,
)
from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec, calculator_provenance, check_elements
from lithiophilic.potentials.registry import calculators_with
from lithiophilic.provenance import structure_hash
from lithiophilic.structures import make_bulk, primitive_gamma_brass
from lithiophilic.workflows.base import (
    AseRelaxMaker,
    CalculatorProvenance,
    calc_cache_key,
    find_reusable_output,
)
from lithiophilic.workflows.task_docs import (
    describe_maker,
    is_lithiophilic_maker,
    make_calc_job,
    with_calculator_spec,
)

__all__ = ["PDOS_DATA_KEYS", "PdosCalcMaker", "PdosDoc", "PdosMaker", "pdos_input_structure"]

logger = logging.getLogger(__name__)

#: Document keys stored in the additional ``data`` store (large arrays).
PDOS_DATA_KEYS = ["energies_ev", "total_dos", "element_pdos", "atom_pdos"]
#: Version of the PDOS projection (part of the cache key: results of an older definition are
#: recomputed, never reused). 2: charge inside the augmentation sphere (was |P|^2 on bound
#: projectors).
PDOS_DEFINITION_VERSION = 2
#: SQS cell of α-brass for the PDOS: 25 atoms hold Cu16Zn9 = 64:36 exactly.
PDOS_SQS_N_ATOMS = 25


# --------------------------------------------------------------------------- document
class PdosDoc(CalculatorProvenance):
    """Projected DOS of one structure: per-element numbers here, arrays in the data store."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    doc_type: Literal["pdos"] = Field("pdos", description="Document family.")
    cache_key: str = Field(
        "",
        description="Hash of the structure, calculator (name, version, settings), DOS options "
        "and PDOS definition version; a stored result with the same key is reused.",
    )
    reused_from_uuid: str | None = Field(
        None, description="uuid of the stored identical calculation that was reused."
    )
    material: str = Field(description="Material name as given.")
    structure_note: str = Field(description="What the cell is (primitive cell, SQS size, slab).")
    lattice_source: str = Field(
        description="Where the lattice comes from: relaxed with this calculator, or the input."
    )
    structure: Structure = Field(description="Structure of the DOS calculation.")
    structure_hash: str = Field(description="provenance.structure_hash of the structure.")
    formula: str = Field(description="Reduced formula.")
    n_atoms: int = Field(description="Atoms in the cell.")
    counts: dict[str, int] = Field(description="Atoms per element.")
    energy_ev: float = Field(description="SCF total energy, eV.")
    fermi_level_ev: float = Field(description="Fermi level of the SCF (absolute), eV.")
    scf_kpts: list[int] = Field(description="Monkhorst-Pack (Γ-centred) mesh of the SCF.")
    dos_kpts: list[int] = Field(description="k-point mesh of the DOS.")
    dos_run: str = Field(
        "fixed-density",
        description="'fixed-density': a non-self-consistent run on the denser DOS mesh; 'scf': "
        "the DOS mesh is the SCF mesh, so the DOS comes from the SCF (extra bands converged).",
    )
    dos_kpt_density_a: float = Field(description="k-point density of the DOS run, per Å⁻¹.")
    width_ev: float = Field(description="Gaussian broadening w of the DOS, eV.")
    dos_converged_up_to_ev: float = Field(
        description="Bands are converged up to this energy above E_F (lowest eigenvalue of the "
        "first unconverged band), eV; the DOS above it is not reliable."
    )
    energy_window_ev: list[float] = Field(description="Energy grid range relative to E_F, eV.")
    n_points: int = Field(description="Energy grid points.")
    dos_at_fermi_window_ev: float = Field(
        DOS_AT_FERMI_WINDOW_EV, description="DOS at E_F = mean over E_F ± this, eV."
    )
    d_band_window_ev: list[float] = Field(
        list(D_BAND_WINDOW_EV), description="Window of the d-band centre, relative to E_F, eV."
    )
    elements: dict[str, dict[str, Any]] = Field(
        description="Per element: n_atoms, dos_at_fermi_states_per_ev_atom (s+p+d), by l, "
        "d_band_centre_ev, d_band_width_ev."
    )
    definition: str = Field(PDOS_DEFINITION, description="Definitions used.")
    sphere_radius_a: dict[str, float] = Field(
        default_factory=dict,
        description="Per element: radius of the PAW augmentation sphere the l-projections "
        "integrate over, Å.",
    )
    spinpol: bool = Field(description="Spin-polarised calculation.")
    calculator_package: str = Field(description="Python package providing the calculator.")
    calculator_settings: dict[str, Any] = Field(description="Effective calculator settings.")
    nprocs: int = Field(description="MPI ranks used.")
    converged: bool = Field(True, description="SCF and DOS run converged (they raise otherwise).")
    dir_name: str = Field(description="Run directory (GPAW logs gpaw-scf.txt, gpaw-dos.txt).")
    wall_time_s: float = Field(description="Wall time of SCF + DOS, s.")
    energies_ev: list[float] = Field(description="Energy grid relative to E_F, eV (data store).")
    total_dos: list[float] = Field(description="Total DOS, states/eV/cell (data store).")
    element_pdos: dict[str, list[list[float]]] = Field(
        description="Per element [s, p, d] PDOS, states/eV/atom (data store)."
    )
    atom_pdos: list[list[list[float]]] = Field(
        description="Per atom [s, p, d] PDOS, states/eV (data store)."
    )


# --------------------------------------------------------------------------- job
@dataclass
class PdosCalcMaker(Maker):
    """SCF, then a fixed-density DOS run on a denser mesh, then per-element PDOS numbers.

    When the DOS mesh equals the SCF mesh the DOS is taken from the SCF itself (its extra
    bands converged), with no fixed-density run (``PdosDoc.dos_run``).

    Parameters
    ----------
    name
        Job name.
    calculator
        Calculator spec of a backend with the ``"pdos"`` capability (``gpaw``); its
        settings drive the SCF.
    dos_kpt_density_a
        k-point density of the DOS run, per Å⁻¹ (1 along vacuum axes).
    width_ev
        Gaussian broadening w, eV.
    energy_window_ev
        Energy grid relative to E_F, eV.
    n_points
        Energy grid points.
    """

    name: str = "pdos"
    calculator: CalculatorSpec = field(default_factory=lambda: CalculatorSpec("gpaw"))
    dos_kpt_density_a: float = 8.0
    width_ev: float = 0.1
    energy_window_ev: tuple[float, float] = (-10.0, 5.0)
    n_points: int = 1501

    def __post_init__(self) -> None:
        if not isinstance(self.calculator, CalculatorSpec):
            msg = f"calculator must be a CalculatorSpec, got {type(self.calculator).__name__}"
            raise ConfigurationError(msg)
        if "pdos" not in self.calculator.backend.capabilities:
            msg = (
                f"calculator: {self.calculator.name!r} cannot compute a PDOS; use one of "
                f"{calculators_with('pdos')}"
            )
            raise ConfigurationError(msg)
        if not self.dos_kpt_density_a > 0:
            msg = f"dos_kpt_density_a must be > 0 (k-points per Å⁻¹), got {self.dos_kpt_density_a}"
            raise ConfigurationError(msg)
        if not self.width_ev > 0:
            msg = f"width_ev must be > 0 eV, got {self.width_ev}"
            raise ConfigurationError(msg)
        lo, hi = self.energy_window_ev
        if not (
            lo < -D_BAND_WINDOW_EV[1] and lo <= D_BAND_WINDOW_EV[0] and hi >= D_BAND_WINDOW_EV[1]
        ):
            msg = (
                f"energy_window_ev {self.energy_window_ev} must cover the d-band window "
                f"{D_BAND_WINDOW_EV} eV"
            )
            raise ConfigurationError(msg)
        if self.n_points < 100:
            msg = f"n_points must be >= 100, got {self.n_points}"
            raise ConfigurationError(msg)

    @job(output_schema=PdosDoc, data=PDOS_DATA_KEYS, config=JobConfig(expose_store=True))
    def make(
        self,
        structure: Structure,
        material: str = "",
        structure_note: str = "",
        lattice_source: str = "input",
    ) -> PdosDoc:
        """Compute the PDOS of ``structure``; returns a :class:`PdosDoc`."""
        atoms = AseAtomsAdaptor.get_atoms(structure)
        atoms.constraints = []
        symbols = atoms.get_chemical_symbols()
        check_elements(self.calculator, set(symbols))
        settings = self.calculator.settings()
        options = {
            "dos_kpt_density_a": self.dos_kpt_density_a,
            "width_ev": self.width_ev,
            "energy_window_ev": [float(x) for x in self.energy_window_ev],
            "n_points": self.n_points,
            "definition_version": PDOS_DEFINITION_VERSION,
        }
        key = calc_cache_key(structure_hash(atoms), self.calculator, "pdos", options)
        reused = find_reusable_output({"output.doc_type": "pdos", "output.cache_key": key})
        if reused is not None:
            logger.info("pdos %s: reusing stored result %s", material, reused["reused_from_uuid"])
            reused["material"] = material or reused["material"]
            reused["structure_note"] = structure_note or reused["structure_note"]
            reused["lattice_source"] = lattice_source
            reused["structure"] = Structure.from_dict(reused["structure"])
            return PdosDoc.model_validate(reused)
        t0 = time.perf_counter()
        runner = self.calculator.backend.pdos_runner
        if runner is None:  # a backend declaring "pdos" must give one (CalculatorBackend)
            msg = f"calculator {self.calculator.name!r} gives no pdos_runner"
            raise ConfigurationError(msg)
        results, arrays = runner(
            atoms,
            settings={k: v for k, v in settings.items()},
            dos_kpt_density_a=self.dos_kpt_density_a,
            width_ev=self.width_ev,
            energy_window_ev=(float(self.energy_window_ev[0]), float(self.energy_window_ev[1])),
            n_points=self.n_points,
            directory=".",
        )
        wall = time.perf_counter() - t0
        return self.document(
            atoms,
            results,
            arrays,
            cache_key=key,
            wall_time_s=wall,
            material=material,
            structure_note=structure_note,
            lattice_source=lattice_source,
        )

    def document(
        self,
        atoms: Any,
        results: dict[str, Any],
        arrays: dict[str, Any],
        *,
        cache_key: str,
        wall_time_s: float,
        material: str,
        structure_note: str,
        lattice_source: str,
    ) -> PdosDoc:
        """Return the :class:`PdosDoc` of a PDOS computation's ``(results, arrays)``.

        ``results`` and ``arrays`` as a backend's :class:`~lithiophilic.potentials.PdosRunner`
        returns them (the GPAW runner, or VASP's DOS run read by
        :func:`lithiophilic.workflows.vasp.complete_dos_results`).
        """
        symbols = atoms.get_chemical_symbols()
        key, wall = cache_key, wall_time_s
        energies = np.asarray(arrays["energies_ev"])
        pdos = np.asarray(arrays["pdos"])
        per_el = element_pdos(pdos, symbols)
        summary = pdos_summary(energies, pdos, symbols)
        for el, s in summary.items():
            logger.info(
                "%s %s: DOS(E_F) = %.3f states/eV/atom, d-band centre = %s eV",
                material,
                el,
                s["dos_at_fermi_states_per_ev_atom"],
                "n/a" if s["d_band_centre_ev"] is None else f"{s['d_band_centre_ev']:.3f}",
            )
        prov = calculator_provenance(self.calculator)
        struct = AseAtomsAdaptor.get_structure(atoms)
        return PdosDoc(
            cache_key=key,
            sphere_radius_a=dict(results.get("sphere_radius_a", {})),
            material=material or struct.composition.reduced_formula,
            structure_note=structure_note,
            lattice_source=lattice_source,
            structure=struct,
            structure_hash=structure_hash(atoms),
            formula=struct.composition.reduced_formula,
            n_atoms=len(atoms),
            counts={el: symbols.count(el) for el in dict.fromkeys(symbols)},
            energy_ev=float(results["energy_ev"]),
            fermi_level_ev=float(results["fermi_level_ev"]),
            scf_kpts=[int(k) for k in results["scf_kpts"]],
            dos_kpts=[int(k) for k in results["dos_kpts"]],
            dos_run=str(results.get("dos_run", "fixed-density")),
            dos_kpt_density_a=self.dos_kpt_density_a,
            width_ev=self.width_ev,
            dos_converged_up_to_ev=float(results["dos_converged_up_to_ev"]),
            energy_window_ev=[float(x) for x in self.energy_window_ev],
            n_points=self.n_points,
            elements=summary,
            spinpol=bool(results["spinpol"]),
            calculator_name=prov["calculator_name"],
            calculator_package=prov["calculator_package"],
            calculator_version=prov["calculator_version"],
            calculator_model=prov["calculator_model"],
            calculator_settings=prov["settings"],
            nprocs=int(results["nprocs"]),
            dir_name=str(Path.cwd()),
            wall_time_s=wall,
            energies_ev=energies.tolist(),
            total_dos=np.asarray(arrays["total_dos"]).tolist(),
            element_pdos={el: arr.tolist() for el, arr in per_el.items()},
            atom_pdos=pdos.tolist(),
        )


# --------------------------------------------------------------------------- flow
def pdos_input_structure(
    material: str, *, sqs_n_atoms: int = PDOS_SQS_N_ATOMS, seed: int = 0
) -> tuple[Structure, str]:
    """Return the bulk cell used for the PDOS of ``material`` and a note describing it.

    γ-brass (the paper's ordered intermetallic, Cu5Zn8) uses its 26-atom primitive cell;
    random alloys a ``sqs_n_atoms``-atom SQS (25 atoms hold Cu0.64Zn0.36 exactly); elements
    their primitive cell.

    Raises
    ------
    ConfigurationError
        For an unknown material or an SQS size that cannot hold the composition.
    """
    atoms = make_bulk(material, seed=seed)
    if "sqs" in atoms.info:
        atoms = make_bulk(material, seed=seed, n_atoms=sqs_n_atoms)
        note = f"{len(atoms)}-atom SQS (seed {seed}): {atoms.info['description']}"
    elif atoms.info.get("lattice") == "gamma-brass":
        a_a = float(atoms.info["a_a"])
        name = atoms.info["material"]
        atoms = primitive_gamma_brass(a_a=a_a)
        note = (
            f"{name} {len(atoms)}-atom primitive (bcc) cell of the I-43m structure, a = {a_a:.4f} Å"
        )
    else:
        note = f"{len(atoms)}-atom cell: {atoms.info.get('description', material)}"
    counts = {
        el: atoms.get_chemical_symbols().count(el)
        for el in dict.fromkeys(atoms.get_chemical_symbols())
    }
    note += f"; composition {counts}"
    struct = AseAtomsAdaptor.get_structure(atoms)
    struct.properties = {}
    return struct, note


@dataclass
class PdosMaker(Maker):
    """PDOS of a material (Fig. 5b).

    Steps:

    1. build the bulk cell (:func:`pdos_input_structure`) or take a given structure (a slab);
    2. with ``relax_maker``: relax cell and positions with the same calculator; else keep the
       input lattice (stated in the document's ``lattice_source``);
    3. SCF and fixed-density DOS run, per-element PDOS, DOS at E_F and d-band centre
       (``pdos_maker``, :class:`PdosDoc`).

    Parameters
    ----------
    name
        Flow name.
    pdos_maker
        The PDOS job (calculator and DOS settings).
    relax_maker
        Relaxation of the bulk cell before the DOS (``None``: use the input lattice): our
        AseRelaxMaker or any Maker with atomate2's contract ``make(structure, prev_dir=None)``
        whose output has a final ``structure`` (atomate2 force-field and VASP documents do).
    sqs_n_atoms
        Size of the SQS cell of random alloys.
    sqs_seed
        SQS seed.
    """

    name: str = "pdos"
    pdos_maker: PdosCalcMaker = field(default_factory=PdosCalcMaker)
    relax_maker: Maker | None = field(
        default_factory=lambda: AseRelaxMaker(
            name="bulk relax",
            calculator=CalculatorSpec("gpaw"),
            relax_cell=True,
            fmax_ev_per_a=0.02,
            max_steps=defaults.BULK_MAX_STEPS,
        )
    )
    sqs_n_atoms: int = PDOS_SQS_N_ATOMS
    sqs_seed: int = 0

    def with_calculator(self, calculator: CalculatorSpec) -> PdosMaker:
        """Return a copy whose PDOS job and relaxation use ``calculator``."""
        return replace(
            self,
            pdos_maker=replace(self.pdos_maker, calculator=calculator),
            relax_maker=None
            if self.relax_maker is None
            else with_calculator_spec(self.relax_maker, calculator),
        )

    def make(self, material: str | Structure, *, name: str | None = None) -> Flow:
        """Build the flow for a named material/formula or a given ``Structure`` (e.g. a slab).

        Raises
        ------
        ConfigurationError
            For an unknown material or elements the calculator does not cover.
        """
        if isinstance(material, Structure):
            struct = material.copy()
            label = name or struct.composition.reduced_formula
            note = f"given structure {struct.composition.formula} ({len(struct)} atoms)"
        else:
            struct, note = pdos_input_structure(
                material, sqs_n_atoms=self.sqs_n_atoms, seed=self.sqs_seed
            )
            label = name or material
        elements = sorted({site.specie.symbol for site in struct})
        check_elements(self.pdos_maker.calculator, elements)
        if self.pdos_maker.calculator.backend.native_makers:  # VASP (atomate2 jobs)
            return self._vasp_flow(struct, label, note)
        jobs: list[Any] = []
        source: Any = struct
        lattice = "input lattice (not relaxed with this calculator)"
        if self.relax_maker is not None:
            relax = make_calc_job(self.relax_maker, struct, f"{label} bulk")
            relax.append_name(f" {label}")
            jobs.append(relax)
            source = relax.output.structure
            lattice = f"cell and positions relaxed with {describe_maker(self.relax_maker)}"
        pj = self.pdos_maker.make(
            source, material=label, structure_note=note, lattice_source=lattice
        )
        pj.append_name(f" {label}")
        jobs.append(pj)
        logger.info("PDOS flow for %s: %s; %s", label, note, lattice)
        return Flow(jobs, output=pj.output, name=f"{self.name} {label}")

    def _vasp_flow(self, struct: Structure, label: str, note: str) -> Flow:
        """VASP: [cell relax -> static] -> static (CHGCAR) -> non-SCF uniform DOS -> PdosDoc."""
        from lithiophilic.workflows.vasp import vasp_makers, vasp_pdos_makers  # atomate2

        spec = self.pdos_maker.calculator
        jobs: list[Any] = []
        source: Any = struct
        lattice = "input lattice (not relaxed with this calculator)"
        if self.relax_maker is not None:
            relax_maker = self.relax_maker
            if is_lithiophilic_maker(relax_maker):
                relax_maker = vasp_makers(spec, {"bulk_relax_maker": relax_maker})[
                    "bulk_relax_maker"
                ]
            relax = make_calc_job(relax_maker, struct, f"{label} bulk")
            relax.append_name(f" {label}")
            jobs.append(relax)
            source = relax.output.structure
            lattice = "cell and positions relaxed with vasp (ISIF 3, then a static)"
        static_maker, nscf_maker = vasp_pdos_makers(
            spec,
            dos_kpt_density_a=self.pdos_maker.dos_kpt_density_a,
            width_ev=self.pdos_maker.width_ev,
        )
        static = static_maker.make(source)
        nscf = nscf_maker.make(static.output.structure, prev_dir=static.output.dir_name)
        pj = vasp_pdos_document(self.pdos_maker, static.output, nscf.output, label, note, lattice)
        for j in (static, nscf, pj):
            j.append_name(f" {label}")
        jobs += [static, nscf, pj]
        logger.info("VASP PDOS flow for %s: %s; %s", label, note, lattice)
        return Flow(jobs, output=pj.output, name=f"{self.name} {label}")


@job(output_schema=PdosDoc, data=PDOS_DATA_KEYS)
def vasp_pdos_document(
    maker: PdosCalcMaker,
    static: Any,
    nscf: Any,
    material: str,
    structure_note: str,
    lattice_source: str,
) -> PdosDoc:
    """Read VASP's non-SCF DOS (pymatgen ``CompleteDos``) into the same PdosDoc as GPAW's.

    ``static``/``nscf``: the atomate2 task documents of the SCF and of the DOS run; the
    document's energy, SCF mesh and E_F-independent settings come from the SCF, the DOS
    arrays from the DOS run's vasprun.xml.
    """
    from lithiophilic.workflows.vasp import (
        complete_dos_results,
        read_complete_dos,
        scf_mesh,
        static_energy_ev,
        task_dir,
    )

    t0 = time.perf_counter()
    vasprun, dos = read_complete_dos(task_dir(nscf))
    results, arrays = complete_dos_results(
        vasprun,
        dos,
        energy_window_ev=(float(maker.energy_window_ev[0]), float(maker.energy_window_ev[1])),
        n_points=maker.n_points,
    )
    results["energy_ev"] = static_energy_ev(static)
    results["scf_kpts"] = scf_mesh(task_dir(static))
    atoms = AseAtomsAdaptor.get_atoms(dos.structure)
    options = {
        "dos_kpt_density_a": maker.dos_kpt_density_a,
        "width_ev": maker.width_ev,
        "energy_window_ev": [float(x) for x in maker.energy_window_ev],
        "n_points": maker.n_points,
        "definition_version": PDOS_DEFINITION_VERSION,
    }
    key = calc_cache_key(structure_hash(atoms), maker.calculator, "pdos", options)
    doc = maker.document(
        atoms,
        results,
        arrays,
        cache_key=key,
        wall_time_s=time.perf_counter() - t0,
        material=material,
        structure_note=structure_note,
        lattice_source=lattice_source,
    )
    doc.dir_name = task_dir(nscf)
    return doc
