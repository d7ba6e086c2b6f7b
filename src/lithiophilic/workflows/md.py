"""Li aggregation MD (Fig. 5f, 5g): Li adatoms dispersed on a large (111) slab, NVT in LAMMPS.

Flow of :class:`LiAggregationMaker` for one material:

1. :class:`MdSubstrateMaker` — bulk (an oriented SQS tile for random alloys), lattice constant
   of the chosen LAMMPS potential (energy–volume scan), large slab with the bottom planes
   fixed (structure in the ``data`` store);
2. ``replicas`` × :class:`LiAggregationMdMaker` — N Li placed at random with a minimum spacing
   (seed + replica); minimisation with the Li held at their in-plane placement and a
   substrate-only thermalisation with the Li frozen (so the first analysed frame is the
   dispersed state); then MD with the thermostat (Langevin or Nosé–Hoover) on the substrate
   and the Li integrated NVE, through the ``lammps`` Python module with run-time checks;
   per-frame Li–Li cluster metrics; trajectory (gzip LAMMPS dump), thermo log, initial
   structure and snapshots go to the ``data`` store.  A run that fails a check returns a
   document with ``status="failed"`` and the reason, keeping its partial trajectory;
3. :func:`aggregation_rate` (:mod:`.md_rate`) — the relaxation kinetics (k, φ∞, t½, r0) over
   the completed replicas with Student-t intervals at every analysis cutoff and window, and
   the Li diffusion coefficient (definitions in
   :data:`lithiophilic.analysis.aggregation_kinetics.KINETICS_DEFINITION`).

``md_cache_key`` (:mod:`.md_engine`) and ``AggregationRateDoc``/``aggregation_rate``
(:mod:`.md_rate`) are re-exported here, the module stored documents and flows name.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from jobflow import Flow, JobConfig, Maker, job
from pydantic import BaseModel, ConfigDict, Field
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.analysis.aggregation import analyze_trajectory
from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials.lammps import LAMMPS_POTENTIALS, LammpsPotential, get_lammps_potential
from lithiophilic.potentials.registry import deferred_here
from lithiophilic.provenance import LITHIOPHILIC_VERSION, structure_hash
from lithiophilic.structures import parse_composition, to_builtin
from lithiophilic.structures.md_slab import (
    add_dispersed_li,
    check_spacing_exceeds_cutoffs,
    coverage_to_n_li,
    fcc111_area_a2,
    make_md_bulk,
    make_md_slab,
    max_dispersed_li,
    scale_lattice,
)
from lithiophilic.workflows.base import CalculatorProvenance, find_reusable_output
from lithiophilic.workflows.md_analysis import (
    describe_start,
    first_frame_min_distance_a,
    fit_lattice_constant_a,
    md_substrate_cache_key,
    trajectory_snapshots,
)
from lithiophilic.workflows.md_engine import (
    MAX_TIMESTEP_FS,
    MdSettings,
    md_cache_key,
    md_cache_keys,
    run_md,
    run_md_mpi,
)
from lithiophilic.workflows.md_rate import AggregationRateDoc, aggregation_rate

__all__ = [
    "AggregationRateDoc",
    "LiAggregationDoc",
    "LiAggregationMaker",
    "LiAggregationMdMaker",
    "MdSubstrateDoc",
    "MdSubstrateMaker",
    "aggregation_rate",
    "fit_lattice_constant_a",
    "material_elements",
    "md_cache_key",
    "md_cache_keys",
    "resolve_md_potential",
]

logger = logging.getLogger(__name__)


def resolve_md_potential(name: str, elements: set[str] | None = None) -> LammpsPotential:
    """Return the registered LAMMPS potential ``name``, checking it covers ``elements`` + Li.

    Raises
    ------
    ConfigurationError
        If the potential is not registered (the message lists the registered ones) or does not
        cover an element.
    """
    if name not in LAMMPS_POTENTIALS:
        hint = ""
        if name == defaults.MD_POTENTIAL:
            hint = (
                " (it is the distilled Li-Cu-Zn potential, registered once it is fitted; "
                "pass potential='meam-library-licu' for a plumbing run on Cu)"
            )
        msg = (
            f"potential: LAMMPS potential {name!r} is not registered; registered: "
            f"{sorted(LAMMPS_POTENTIALS)}{hint}"
        )
        raise ConfigurationError(msg)
    pot = get_lammps_potential(name)
    if elements is not None:
        pot.check_elements({*elements, "Li"})
    return pot


def material_elements(material: str | Structure) -> set[str]:
    """Return the elements of a named material, a formula or a ``Structure``."""
    from lithiophilic.structures import MATERIALS

    if isinstance(material, Structure):
        return {el.symbol for el in material.composition.elements}
    spec = MATERIALS.get(material.strip())
    if spec is not None:
        return set(spec.composition)
    return set(parse_composition(material))


def _potential_warnings(pot: LammpsPotential) -> list[str]:
    if pot.validated_for_science:
        return []
    text = (
        f"LAMMPS potential {pot.name!r} is not validated for science "
        f"(validated_for_science=False: {pot.description}); use the numbers for plumbing only"
    )
    logger.warning(text)
    return [text]


# --------------------------------------------------------------------------- documents


class MdSubstrateDoc(BaseModel):
    """Clean MD slab: the structure (``data`` store) and what was needed to build it."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    doc_type: Literal["md_substrate"] = Field("md_substrate", description="Document family.")
    material: str = Field(description="Material name or formula.")
    miller: list[int] = Field(description="Surface Miller index (conventional cell).")
    structure: Structure = Field(description="Clean slab (stored in the data store).")
    fixed_indices: list[int] = Field(description="Indices of the fixed (bottom-plane) atoms.")
    z_top_a: float = Field(description="Mean height of the top plane, Å.")
    n_top_atoms: int = Field(description="Substrate atoms in the top plane.")
    lateral_size: list[int] = Field(description="Surface primitive cells along a and b.")
    n_layers: int = Field(description="Atomic planes.")
    n_fixed_layers: int = Field(description="Fixed bottom planes.")
    area_a2: float = Field(description="Surface area of the cell, Å².")
    n_atoms: int = Field(description="Atoms in the slab.")
    formula: str = Field(description="Chemical formula of the slab.")
    lattice_constant_a: float = Field(description="Lattice constant used, Å.")
    lattice_constant_source: str = Field(description="'given' or 'E(V) scan with <potential>'.")
    lattice_scan: dict[str, list[float]] | None = Field(
        None, description="a_a (Å) and energy per atom (eV/atom) of the scan."
    )
    potential: str = Field(description="LAMMPS potential of the lattice-constant scan.")
    cache_key: str | None = Field(
        None, description="Hash of bulk, E(V) scan and slab settings; a stored slab is reused."
    )
    reused_from_uuid: str | None = Field(
        None, description="uuid of the stored substrate that was reused (no new build)."
    )
    sqs: dict[str, Any] | None = Field(None, description="SQS tile report (random alloys).")
    structure_hash: str = Field(description="Hash of the clean slab.")
    lithiophilic_version: str = Field(LITHIOPHILIC_VERSION, description="lithiophilic version.")


class LiAggregationDoc(CalculatorProvenance):
    """One Li-aggregation MD replica (trajectory, log, structure, snapshots in the data store)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    doc_type: Literal["md_aggregation"] = Field("md_aggregation", description="Document family.")
    cache_key: str = Field(
        "",
        description="Hash of the input structure, potential (name and file contents), LAMMPS "
        "version and MD settings; a completed run with the same key is reused.",
    )
    reused_from_uuid: str | None = Field(
        None, description="uuid of the stored identical run that was reused (no new MD)."
    )
    material: str = Field(description="Substrate material.")
    replica: int = Field(description="Replica number (0-based).")
    seed: int = Field(description="Seed of Li placement, velocities and thermostat noise.")
    status: Literal["completed", "failed"] = Field(description="'failed': a check stopped it.")
    converged: bool = Field(description="True if every step ran and every check passed.")
    failure_reason: str | None = Field(None, description="Why the run stopped (failed only).")
    potential_info: dict[str, Any] = Field(description="LammpsPotential.info() of the potential.")
    validated_for_science: bool = Field(description="The potential's validated_for_science.")
    warnings: list[str] = Field(default_factory=list, description="Problems the run survived.")
    settings: dict[str, Any] = Field(description="MdSettings (LAMMPS run settings).")
    temperature_k: float = Field(description="Thermostat temperature, K.")
    timestep_fs: float = Field(description="Time step, fs.")
    time_ps: float = Field(description="Requested MD length, ps.")
    time_ps_done: float = Field(description="MD length actually run, ps.")
    n_steps_done: int = Field(description="MD steps actually run.")
    n_mpi: int = Field(description="MPI ranks.")
    wall_time_s: float = Field(description="Wall time of the LAMMPS driver, s.")
    md_wall_time_s: float = Field(description="Wall time inside LAMMPS 'run' commands, s.")
    n_atoms: int = Field(description="Atoms (substrate + Li).")
    n_li: int = Field(description="Li atoms.")
    coverage: float = Field(description="Li per top-plane substrate atom (monolayers).")
    li_min_spacing_a: float = Field(description="Minimum initial in-plane Li-Li distance, Å.")
    li_height_a: float = Field(description="Initial Li height above the top plane, Å.")
    lattice_constant_a: float = Field(description="Substrate lattice constant, Å.")
    area_a2: float = Field(description="Surface area, Å².")
    substrate_structure_hash: str = Field(description="Hash of the clean slab.")
    input_structure_hash: str = Field(description="Hash of the slab with Li (MD input).")
    structure: Structure = Field(description="MD input structure (data store).")
    trajectory: dict[str, Any] = Field(
        description="gzip LAMMPS dump (id type element x y z; Li only unless dump_all), base64 "
        "(data store): format, compression, encoding, content."
    )
    thermo_log: str = Field(description="LAMMPS log with the thermo output (data store).")
    start_protocol: str = Field(
        "minimized-free, thermostat on Li and substrate (before issue 19)",
        description="What ran before the first analysed frame and what the thermostat acts on.",
    )
    first_frame_min_li_li_a: float | None = Field(
        None, description="Smallest Li-Li distance (any periodic image) in the first frame, Å."
    )
    cutoff_a: float | None = Field(None, description="Li-Li cluster cutoff, Å (completed runs).")
    cutoff_source: str | None = Field(None, description="How the cutoff was obtained.")
    frames: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Per-frame cluster metrics (time_ps, n_clusters, largest_cluster, "
        "mean_cluster_size, isolated_fraction, mean_coordination); empty for failed runs.",
    )
    snapshots: dict[str, Any] | None = Field(
        None,
        description="Li xy and cluster labels at a few times + substrate top plane (data store).",
    )
    dir_name: str = Field(description="Directory the job ran in.")


# --------------------------------------------------------------------------- substrate


@dataclass
class MdSubstrateMaker(Maker):
    """Build the clean MD slab of a material.

    Parameters
    ----------
    name
        Job name.
    potential
        LAMMPS potential of the lattice-constant scan (the MD's potential).
    miller
        Surface.
    lateral_size
        Surface primitive cells along a and b.
    n_layers, n_fixed_layers
        Atomic planes; fixed bottom planes.
    sqs_tile
        Surface cells of the SQS tile repeated laterally (random alloys).
    sqs_seed
        SQS seed.
    vacuum_a
        Vacuum, Å.
    lattice_constant_a
        Lattice constant, Å; ``None``: energy–volume scan with ``potential``. For a bulk
        ``Structure`` given to :meth:`make`, the length of its cell vector ``a`` (the cell
        is scaled uniformly).
    lattice_calculator
        ASE-engine calculator (``"sevenn"``, another registry name or
        ``"lammps:<potential>"``) whose energy–volume scan sets the lattice constant instead
        of ``potential``'s (the teacher check: one slab for the teacher and every potential).

    A stored slab with the same cache key (bulk, scan calculator, slab settings:
    :func:`~lithiophilic.workflows.md_analysis.md_substrate_cache_key`) is reused whole, so
    the MD replicas built on it keep their keys on another machine.
    """

    name: str = "md substrate"
    potential: str = defaults.MD_POTENTIAL
    miller: tuple[int, int, int] = (1, 1, 1)
    lateral_size: tuple[int, int] = defaults.MD_LATERAL_SIZE
    n_layers: int = defaults.MD_N_LAYERS
    n_fixed_layers: int = defaults.MD_N_FIXED_LAYERS
    sqs_tile: tuple[int, int] = defaults.MD_SQS_TILE
    sqs_seed: int = 0
    vacuum_a: float = defaults.MD_VACUUM_A
    lattice_constant_a: float | None = None
    lattice_calculator: str | None = None

    @job(output_schema=MdSubstrateDoc, data=["structure"], config=JobConfig(expose_store=True))
    def make(self, material: str | Structure, label: str | None = None) -> MdSubstrateDoc:
        """Build the slab of ``material`` (see the class docstring).

        ``material``: a named material or formula, or a bulk ``Structure`` (the user's own;
        stored under ``label``, default its reduced formula; a name is stored as given unless
        ``label`` says otherwise).
        """
        from ase.constraints import FixAtoms

        from lithiophilic.structures import surface_area_a2

        resolve_md_potential(self.potential, material_elements(material))
        if isinstance(material, Structure):
            label = label or material.composition.reduced_formula
            bulk = AseAtomsAdaptor.get_atoms(material)
            bulk.info = {"material": label, "a_a": float(material.lattice.a)}
        else:
            label = label or material
            bulk = make_md_bulk(
                material,
                miller=self.miller,
                n_layers=self.n_layers,
                sqs_tile=self.sqs_tile,
                seed=self.sqs_seed,
            )
        slab_settings = {
            "label": label,
            "miller": self.miller,
            "lateral_size": self.lateral_size,
            "n_layers": self.n_layers,
            "n_fixed_layers": self.n_fixed_layers,
            "vacuum_a": self.vacuum_a,
            "lattice_constant_a": self.lattice_constant_a,
        }
        key = md_substrate_cache_key(bulk, self.potential, self.lattice_calculator, slab_settings)
        if self.lattice_constant_a is None:
            source = f"E(V) scan with {self.lattice_calculator or self.potential}"
        else:
            source = "given"
        stored = find_reusable_output({"output.doc_type": "md_substrate", "output.cache_key": key})
        if stored is not None:
            # one key, one slab: the copy names this job's own potential and scan ("lammps:X" = "X")
            stored["structure"] = Structure.from_dict(stored["structure"])
            stored.update(potential=self.potential, lattice_constant_source=source)
            return MdSubstrateDoc.model_validate(stored)
        scan = None
        if self.lattice_constant_a is None:
            a_a, scan = fit_lattice_constant_a(bulk, self.potential, self.lattice_calculator)
        else:
            a_a = float(self.lattice_constant_a)
        bulk = scale_lattice(bulk, a_a)
        slab = make_md_slab(
            bulk,
            miller=self.miller,
            lateral_size=self.lateral_size,
            n_layers=self.n_layers,
            n_fixed_layers=self.n_fixed_layers,
            vacuum_a=self.vacuum_a,
        )
        fixed: list[int] = []
        for c in slab.constraints:
            if isinstance(c, FixAtoms):
                fixed.extend(int(i) for i in c.get_indices())
        sqs = bulk.info.get("sqs")
        return MdSubstrateDoc(
            material=label,
            miller=list(self.miller),
            structure=AseAtomsAdaptor.get_structure(_plain(slab)),
            fixed_indices=sorted(fixed),
            z_top_a=float(slab.info["z_top_a"]),
            n_top_atoms=int(slab.info["n_top_atoms"]),
            lateral_size=[int(v) for v in self.lateral_size],
            n_layers=self.n_layers,
            n_fixed_layers=self.n_fixed_layers,
            area_a2=surface_area_a2(slab),
            n_atoms=len(slab),
            formula=slab.get_chemical_formula(),
            lattice_constant_a=a_a,
            lattice_constant_source=source,
            lattice_scan=scan,
            potential=self.potential,
            cache_key=key,
            sqs=to_builtin(sqs) if sqs else None,  # type: ignore[arg-type]
            structure_hash=structure_hash(slab),
        )


def _plain(atoms: Any) -> Any:
    out = atoms.copy()
    out.set_constraint()
    out.info = {}
    return out


def _substrate_atoms(substrate: MdSubstrateDoc | dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    from ase.constraints import FixAtoms

    doc = substrate.model_dump() if isinstance(substrate, BaseModel) else dict(substrate)
    structure = doc["structure"]
    if isinstance(structure, dict):
        structure = Structure.from_dict(structure)
    atoms = AseAtomsAdaptor.get_atoms(structure)
    atoms.set_constraint(FixAtoms(indices=doc["fixed_indices"]))
    atoms.info = {"z_top_a": doc["z_top_a"], "n_top_atoms": doc["n_top_atoms"]}
    return atoms, doc


# --------------------------------------------------------------------------- MD replica


@dataclass
class LiAggregationMdMaker(Maker):
    """One Li-aggregation MD replica on a clean slab (NVT through the ``lammps`` module).

    Parameters
    ----------
    name
        Job name.
    potential
        Registered LAMMPS potential (must cover Li and the substrate's elements).
    temperature_k, timestep_fs, time_ps
        NVT temperature (K), time step (fs, ≤ 5), length (ps).
    dump_every, check_every, thermo_every
        Steps between trajectory frames, run-time checks, thermo lines.
    n_li
        Li atoms; ``None``: ``coverage`` × top-plane atoms.
    coverage
        Li per top-plane substrate atom (used when ``n_li`` is ``None``).
    li_min_spacing_a, li_height_a
        Minimum initial in-plane Li–Li distance and initial height above the top plane, Å.
    seed
        Base seed; replica r uses ``seed + r`` for placement, velocities and noise.
    thermostat, damping_ps
        "langevin" or "nose-hoover"; damping time, ps.
    max_temperature_factor, li_max_height_a, li_max_depth_a
        Run-time check limits (see :class:`~lithiophilic.workflows.md_engine.MdSettings`).
    minimize
        Relax positions before the MD.
    li_start, thermostat_li, equilibration_steps
        Start protocol and whether the thermostat acts on the Li (see
        :class:`~lithiophilic.workflows.md_engine.MdSettings`; default: Li held apart during
        the minimisation and a substrate-only thermalisation, then Li integrated NVE with the
        thermostat on the substrate).
    dump_all
        Dump all atoms (default: Li only).
    cutoff_a
        Li–Li cluster cutoff, Å; ``None``: first minimum of this run's Li–Li distribution.
    n_mpi
        MPI ranks (> 1 runs under the environment's ``mpirun``).
    """

    name: str = "li aggregation md"
    potential: str = defaults.MD_POTENTIAL
    temperature_k: float = defaults.MD_TEMPERATURE_K
    timestep_fs: float = defaults.MD_TIMESTEP_FS
    time_ps: float = defaults.MD_TIME_PS
    dump_every: int = defaults.MD_DUMP_EVERY
    check_every: int = defaults.MD_CHECK_EVERY
    thermo_every: int = defaults.MD_THERMO_EVERY
    n_li: int | None = None
    coverage: float = defaults.MD_COVERAGE
    li_min_spacing_a: float = defaults.MD_LI_MIN_SPACING_A
    li_height_a: float = defaults.MD_LI_HEIGHT_A
    seed: int = 1
    thermostat: Literal["langevin", "nose-hoover"] = defaults.MD_THERMOSTAT  # type: ignore[assignment]
    damping_ps: float = defaults.MD_DAMPING_PS
    max_temperature_factor: float = defaults.MD_MAX_TEMPERATURE_FACTOR
    li_max_height_a: float = defaults.MD_LI_MAX_HEIGHT_A
    li_max_depth_a: float = defaults.MD_LI_MAX_DEPTH_A
    minimize: bool = True
    dump_all: bool = False
    cutoff_a: float | None = None
    n_mpi: int = 1
    li_start: Literal["held-apart", "minimized-free"] = "held-apart"
    thermostat_li: bool = False
    equilibration_steps: int = defaults.MD_EQUILIBRATION_STEPS

    def __post_init__(self) -> None:
        self.settings(0)
        if self.n_li is not None and (not isinstance(self.n_li, int) or self.n_li < 1):
            msg = f"n_li={self.n_li!r} must be a positive integer"
            raise ConfigurationError(msg)
        if not 0 < self.coverage <= 1:
            msg = f"coverage={self.coverage} must be in (0, 1] monolayer"
            raise ConfigurationError(msg)
        if self.n_mpi < 1:
            msg = f"n_mpi={self.n_mpi} must be ≥ 1"
            raise ConfigurationError(msg)
        if self.cutoff_a is not None and not self.cutoff_a > 0:
            msg = f"cutoff_a={self.cutoff_a} must be > 0 Å"
            raise ConfigurationError(msg)

    def settings(self, replica: int) -> MdSettings:
        """Return the LAMMPS run settings of ``replica``.

        Raises
        ------
        ConfigurationError
            For a time step outside (0, 5] fs, a non-positive length or temperature, etc.
        """
        if not self.time_ps > 0:
            msg = f"time_ps={self.time_ps} must be > 0 ps"
            raise ConfigurationError(msg)
        if not 0 < self.timestep_fs <= MAX_TIMESTEP_FS:
            msg = f"timestep_fs={self.timestep_fs} must be in (0, {MAX_TIMESTEP_FS}] fs"
            raise ConfigurationError(msg)
        n_steps = round(self.time_ps * 1000.0 / self.timestep_fs)
        return MdSettings(
            potential=self.potential,
            temperature_k=self.temperature_k,
            timestep_fs=self.timestep_fs,
            n_steps=max(1, n_steps),
            dump_every=self.dump_every,
            check_every=self.check_every,
            thermo_every=self.thermo_every,
            seed=self.seed + replica,
            thermostat=self.thermostat,
            damping_ps=self.damping_ps,
            max_temperature_factor=self.max_temperature_factor,
            li_max_height_a=self.li_max_height_a,
            li_max_depth_a=self.li_max_depth_a,
            minimize=self.minimize,
            dump_all=self.dump_all,
            li_start=self.li_start,
            thermostat_li=self.thermostat_li,
            equilibration_steps=self.equilibration_steps,
        )

    @job(
        output_schema=LiAggregationDoc,
        data=["structure", "trajectory", "thermo_log", "snapshots"],
        config=JobConfig(expose_store=True),
    )
    def make(
        self, substrate: MdSubstrateDoc | dict[str, Any], replica: int = 0
    ) -> LiAggregationDoc:
        """Place Li on ``substrate``, run the MD, analyse the clusters (see the class docstring)."""
        slab, sub = _substrate_atoms(substrate)
        pot = resolve_md_potential(self.potential, set(slab.get_chemical_symbols()))
        warns = _potential_warnings(pot)
        settings = self.settings(replica)
        atoms, n_li = self.place_li(slab, settings.seed)
        keys = md_cache_keys(atoms, pot, asdict(settings), self.time_ps, self.cutoff_a)
        key = keys[0]
        reused = _find_reusable_md(*keys)
        if reused is not None:
            return reused
        deferred_here("lammps")  # the parallel runner computes this in a worker
        workdir = Path.cwd() / f"lammps-{sub['material']}-r{replica}"
        if self.n_mpi > 1:
            result = run_md_mpi(atoms, settings, workdir, n_mpi=self.n_mpi)
        else:
            result = run_md(atoms, settings, workdir)
        traj = Path(result["trajectory"])
        analysis = self.analyze(traj, slab, settings.timestep_fs, result["status"] == "completed")
        return LiAggregationDoc(
            cache_key=key,
            calculator_name="lammps",
            calculator_version=str(result["lammps_version"]),
            calculator_model=pot.name,
            material=sub["material"],
            replica=replica,
            seed=settings.seed,
            status=result["status"],
            converged=result["status"] == "completed",
            failure_reason=result["failure_reason"],
            potential_info=pot.info() | {"directory": str(pot.directory)},
            validated_for_science=pot.validated_for_science,
            warnings=warns,
            settings=asdict(settings),
            temperature_k=settings.temperature_k,
            timestep_fs=settings.timestep_fs,
            time_ps=self.time_ps,
            time_ps_done=result["time_ps_done"],
            n_steps_done=result["n_steps_done"],
            n_mpi=result["n_mpi"],
            wall_time_s=result["wall_time_s"],
            md_wall_time_s=result["md_wall_time_s"],
            **self.placement_fields(atoms, sub, n_li),
            trajectory={
                "format": "lammps-dump",
                "compression": "gzip",
                "encoding": "base64",
                "columns": "id type element x y z",
                "dump_every": settings.dump_every,
                "timestep_fs": settings.timestep_fs,
                "content": base64.b64encode(traj.read_bytes() if traj.is_file() else b"").decode(
                    "ascii"
                ),
            },
            thermo_log=Path(result["log"]).read_text(),
            start_protocol=describe_start(settings),
            **analysis,
            dir_name=str(Path.cwd()),
        )

    def place_li(self, slab: Any, seed: int) -> tuple[Any, int]:
        """Return the slab with the dispersed Li of a replica (seed) and the Li count."""
        n_li = self.n_li if self.n_li is not None else coverage_to_n_li(slab, self.coverage)
        atoms = add_dispersed_li(
            slab, n_li, min_spacing_a=self.li_min_spacing_a, height_a=self.li_height_a, seed=seed
        )
        return atoms, n_li

    def placement_fields(self, atoms: Any, sub: dict[str, Any], n_li: int) -> dict[str, Any]:
        """Return the document fields of the MD input: sizes, Li placement, slab, hashes."""
        return {
            "n_atoms": len(atoms),
            "n_li": n_li,
            "coverage": n_li / int(sub["n_top_atoms"]),
            "li_min_spacing_a": self.li_min_spacing_a,
            "li_height_a": self.li_height_a,
            "lattice_constant_a": sub["lattice_constant_a"],
            "area_a2": sub["area_a2"],
            "substrate_structure_hash": sub["structure_hash"],
            "input_structure_hash": structure_hash(atoms),
            "structure": AseAtomsAdaptor.get_structure(_plain(atoms)),
        }

    def analyze(self, traj: Path, slab: Any, timestep_fs: float, completed: bool) -> dict[str, Any]:
        """Return the document's analysis fields (clusters, cutoff, snapshots) of a trajectory.

        A run that did not complete is never analysed (the fields stay empty).
        """
        if not completed:
            return {"first_frame_min_li_li_a": None, "cutoff_a": None, "cutoff_source": None,
                    "frames": [], "snapshots": None}  # fmt: skip
        analysis = analyze_trajectory(traj, cutoff_a=self.cutoff_a, timestep_fs=timestep_fs)
        cutoff, frames = analysis["cutoff_a"], analysis["frames"]
        return {
            "first_frame_min_li_li_a": first_frame_min_distance_a(traj),
            "cutoff_a": cutoff,
            "cutoff_source": analysis["cutoff_source"],
            "frames": frames,
            "snapshots": trajectory_snapshots(traj, slab, cutoff, timestep_fs, len(frames)),
        }


def _find_reusable_md(*cache_keys: str) -> LiAggregationDoc | None:
    """Return a completed stored MD replica with one of these keys (first key first)."""
    for cache_key in dict.fromkeys(cache_keys):
        out = find_reusable_output(
            {
                "output.doc_type": "md_aggregation",
                "output.cache_key": cache_key,
                "output.status": "completed",
            }
        )
        if out is not None:
            logger.info(
                "MD replica reused from job %s (cache key %s)", out["reused_from_uuid"], cache_key
            )
            return LiAggregationDoc.model_validate(out)
    return None


# --------------------------------------------------------------------------- summary


@dataclass
class LiAggregationMaker(Maker):
    """Li aggregation on one material: substrate → replicas × MD → aggregation rate.

    Parameters
    ----------
    name
        Flow name.
    substrate_maker
        Builds the clean slab.
    md_maker
        One MD replica.
    analysis_cutoffs_a
        Li–Li cutoffs (Å) of the kinetics and the verdict; each must be below
        ``md_maker.li_min_spacing_a`` (the first analysed frame is then fully dispersed).
    replicas
        Independent replicas (seeds ``md_maker.seed + r``: Li placement, velocities and
        thermostat noise differ; all replicas of a material share one substrate, i.e. one SQS
        decoration for an alloy — vary ``substrate_maker.sqs_seed`` to sample others).
    """

    name: str = "li aggregation"
    substrate_maker: MdSubstrateMaker = field(default_factory=MdSubstrateMaker)
    md_maker: LiAggregationMdMaker = field(default_factory=LiAggregationMdMaker)
    replicas: int = defaults.MD_REPLICAS
    analysis_cutoffs_a: tuple[float, ...] = defaults.MD_ANALYSIS_CUTOFFS_A

    def __post_init__(self) -> None:
        if not isinstance(self.replicas, int) or self.replicas < 1:
            msg = f"replicas={self.replicas!r} must be a positive integer"
            raise ConfigurationError(msg)
        if not self.analysis_cutoffs_a or min(self.analysis_cutoffs_a) <= 0:
            msg = f"analysis_cutoffs_a={self.analysis_cutoffs_a!r} must be positive cutoffs, Å"
            raise ConfigurationError(msg)
        if self.md_maker.li_start == "held-apart":
            given = [] if self.md_maker.cutoff_a is None else [self.md_maker.cutoff_a]
            check_spacing_exceeds_cutoffs(
                self.md_maker.li_min_spacing_a, [*self.analysis_cutoffs_a, *given]
            )
        if self.substrate_maker.potential != self.md_maker.potential:
            msg = (
                f"potential: substrate ({self.substrate_maker.potential!r}) and MD "
                f"({self.md_maker.potential!r}) must use the same potential"
            )
            raise ConfigurationError(msg)

    def _check_li_fits(self, material: str) -> None:
        """Refuse, before any job, a Li count that cannot fit (fcc (111): area from the registry a).

        A solid solution's slab is an oriented SQS tile: ``n_layers`` must be whole ABC periods.
        """
        from lithiophilic.structures import MATERIALS

        spec = MATERIALS.get(material.strip())
        sub = self.substrate_maker
        if spec is None or spec.lattice != "fcc" or tuple(sub.miller) != (1, 1, 1):
            return
        if spec.kind == "solid_solution":  # an oriented SQS tile: whole ABC periods
            from lithiophilic.structures.oriented_sqs import FCC111_STACKING, check_n_layers

            check_n_layers(sub.n_layers, FCC111_STACKING, "fcc", (1, 1, 1))
        lateral = (int(sub.lateral_size[0]), int(sub.lateral_size[1]))
        a_a = sub.lattice_constant_a or spec.a_a
        n_li = self.md_maker.n_li
        if n_li is None:
            n_li = max(1, round(self.md_maker.coverage * lateral[0] * lateral[1]))
        area = fcc111_area_a2(a_a, lateral)
        fit = max_dispersed_li(area, self.md_maker.li_min_spacing_a)
        if n_li > fit:
            msg = (
                f"n_li={n_li} Li cannot be dispersed with li_min_spacing_a="
                f"{self.md_maker.li_min_spacing_a} Å on {material}(111) {lateral[0]}x{lateral[1]} "
                f"(~{area:.0f} Å2; random placement fits at most ~{fit}); lower n_li/coverage or "
                "the spacing, or enlarge the slab"
            )
            raise ConfigurationError(msg)

    @classmethod
    def with_potential(
        cls,
        potential: str,
        md_maker_class: type[LiAggregationMdMaker] | None = None,
        **kwargs: Any,
    ) -> LiAggregationMaker:
        """Return a maker whose substrate and MD use ``potential``.

        ``kwargs`` prefixed ``substrate_`` / ``md_`` go to the sub-makers; others to this one.
        ``md_maker_class``: the replica maker (default :class:`LiAggregationMdMaker`; e.g.
        the ASE engine's :class:`~lithiophilic.workflows.md_ase_job.AseLiAggregationMdMaker`).
        """
        sub = {k[10:]: v for k, v in kwargs.items() if k.startswith("substrate_")}
        md = {k[3:]: v for k, v in kwargs.items() if k.startswith("md_")}
        rest = {k: v for k, v in kwargs.items() if not k.startswith(("substrate_", "md_"))}
        return cls(
            substrate_maker=MdSubstrateMaker(potential=potential, **sub),
            md_maker=(md_maker_class or LiAggregationMdMaker)(potential=potential, **md),
            **rest,
        )

    def make(self, material: str | Structure, *, label: str | None = None) -> Flow:
        """Return the flow for ``material``.

        Parameters
        ----------
        material
            A named material or formula, or a bulk ``Structure`` (the user's own).
        label
            Name the results are stored under (default: the name, or the structure's
            reduced formula).

        Raises
        ------
        ConfigurationError
            If the potential is not registered or does not cover the material's elements + Li,
            or (fcc (111) slabs) ``n_li`` Li cannot be dispersed with the minimum spacing.
        """
        resolve_md_potential(self.md_maker.potential, material_elements(material))
        if isinstance(material, Structure):
            label = label or material.composition.reduced_formula
            sub = self.substrate_maker.make(material, label=label)
        else:
            self._check_li_fits(material)
            if label is None or label == material:  # the flow of a named material as it always was
                label = material
                sub = self.substrate_maker.make(material)
            else:
                sub = self.substrate_maker.make(material, label=label)
        sub.append_name(f" {label}")
        mds = []
        for r in range(self.replicas):
            md = self.md_maker.make(sub.output, replica=r)
            md.append_name(f" {label} r{r}")
            mds.append(md)
        summary = aggregation_rate(
            label,
            [m.output for m in mds],
            uuids=[m.uuid for m in mds],
            cutoff_a=self.md_maker.cutoff_a,
            analysis_cutoffs_a=[float(c) for c in self.analysis_cutoffs_a],
        )
        summary.name = f"aggregation rate {label}"
        return Flow([sub, *mds, summary], output=summary.output, name=f"{self.name} {label}")
