"""Fig. 5b, the PDOS study: per-element projected DOS, DOS at E_F and d-band centre.

A DFT calculator whose backend declares the ``"pdos"`` capability (``gpaw``) relaxes the
lattice of small cells, runs the SCF and the DOS and projects it on s, p and d inside each
atom's augmentation sphere (:mod:`lithiophilic.workflows.pdos`).

Examples
--------
>>> from lithiophilic.studies import pdos
>>> options = pdos.Options.quick(materials=["Cu"], nprocs=1)
>>> options.ecut_ev, options.dos_kpt_density_a, options.n_points
(300.0, None, 751)
>>> pdos.Options.paper().dos_kpt_density_a
4.0

``pdos.run(options)`` runs the flows into the default store and returns a :class:`Result`
(read back by ``pdos.collect(store, options)``); ``pdos.figures(result, "reports")`` draws
Fig. 5b. A new DFT backend reaches this study by declaring ``"pdos"`` in its
:attr:`~lithiophilic.potentials.registry.CalculatorBackend.capabilities` and giving a
``pdos_runner``: nothing here names a calculator.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from pymatgen.core import Structure

from lithiophilic import defaults
from lithiophilic.analysis.figures import figure_path
from lithiophilic.analysis.pdos import (
    DOS_AT_FERMI_WINDOW_EV,
    PDOS_DEFINITION,
    dos_sum_rule,
    pdos_table_rows,
    plot_pdos,
    write_pdos_csv,
)
from lithiophilic.analysis.report import claims_5b
from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials.registry import (
    REGISTRY,
    CalculatorSpec,
    calculators_with,
    check_installation,
)
from lithiophilic.studies.base import (
    JobEvent,
    MaterialInput,
    StudyOptions,
    StudyResult,
    build_and_run,
    keep_relax_trajectories,
    material_label,
    materials_of,
)
from lithiophilic.workflows.pdos import (
    PDOS_DATA_KEYS,
    PDOS_SQS_N_ATOMS,
    PdosCalcMaker,
    PdosDoc,
    PdosMaker,
    pdos_input_structure,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from jobflow import Flow, JobStore

    from lithiophilic.analysis.report import Claim

__all__ = [
    "CSV_NAME",
    "FIGURE_NAME",
    "QUICK_DENSE_DOS_MAX_ATOMS",
    "QUICK_DOS_KPT_DENSITY",
    "QUICK_EIGENSTATES_TOL",
    "Options",
    "PdosCurves",
    "Result",
    "build_flows",
    "claims",
    "collect",
    "figures",
    "payload",
    "run",
    "table_rows",
]

logger = logging.getLogger(__name__)

#: Panel drawn by this study.
PANEL = "5b"
#: File names written by :func:`figures` (in ``out_dir``).
FIGURE_NAME = "fig5b_pdos.png"
CSV_NAME = "pdos.csv"

#: Quick preset: plane-wave cutoff (eV) and SCF k-point density (per Å⁻¹).
QUICK_ECUT_EV = 300.0
QUICK_KPT_DENSITY_A = 2.0
#: Quick preset: cells of at most this many atoms get a fixed-density DOS run at
#: QUICK_DOS_KPT_DENSITY; larger cells take the DOS from the SCF mesh.
QUICK_DENSE_DOS_MAX_ATOMS = 4
#: Quick preset: DOS k-point density of small cells, per Å⁻¹ (seconds in a 1-atom cell; the SCF
#: mesh alone leaves bulk Cu's DOS spiky).
QUICK_DOS_KPT_DENSITY = 6.0
#: Quick preset: GPAW eigenstate residual, eV²/electron. The 25-atom solid-solution SQS
#: (Cu0.64Zn0.36) at 300 eV, k-density 2.0: 26 SCF iterations at 1e-5 (energy and density
#: converged at 13), 35 % less time at 1e-3, the same Zn/Cu DOS(E_F) to 1e-4 and a total DOS
#: within 0.08 % of its maximum.
QUICK_EIGENSTATES_TOL = 1e-3
#: Quick preset: energy grid points.
QUICK_N_POINTS = 751

#: Energy grid of the DOS, relative to E_F (eV): the PDOS job's default (not an option).
_ENERGY_WINDOW_EV = PdosCalcMaker.energy_window_ev
#: Settings the calculator spec takes from the options (same names as the fields).
_SETTING_FIELDS = (
    "ecut_ev",
    "kpt_density_a",
    "smearing_ev",
    "nprocs",
    "eigenstates_tol_ev2_per_electron",
    "eigensolver",
)
#: Options whose VASP setting has another name, and GPAW-only options (not passed to VASP).
_VASP_NAMES = {"ecut_ev": "encut_ev", "smearing_ev": "sigma_ev"}
_NOT_VASP = ("eigenstates_tol_ev2_per_electron", "nprocs", "eigensolver")


def _preset_for(preset: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Return a preset's settings for the calculator in ``overrides``.

    The presets' cutoff and eigensolver tolerance are GPAW's; a plane-wave cutoff does not
    carry over to VASP's PAW set (VASP keeps its own preset ENCUT, one cutoff above the Li_sv
    ENMAX for every compared energy), so with VASP they are left out unless given.
    """
    if overrides.get("calculator") != "vasp":
        return preset
    return {k: v for k, v in preset.items() if k not in ("ecut_ev", *_NOT_VASP)}


#: Document fields of the table (everything but the arrays and the structure).
_DOC_KEYS = tuple(k for k in PdosDoc.model_fields if k not in (*PDOS_DATA_KEYS, "structure"))


class Options(StudyOptions):
    """Settings of the PDOS study (Fig. 5b); every setting of ``lithiophilic pdos``.

    Presets: the default (``full()``), :meth:`quick` and :meth:`paper` (the paper campaign's).
    The calculator settings (``preset``, ``ecut_ev``, ...) are checked by the calculator's
    backend; ``None`` means the preset's value.
    """

    study: ClassVar[str] = "pdos"

    materials: list[MaterialInput] = Field(
        default_factory=lambda: list[str | Structure](defaults.PAPER_MATERIALS),
        min_length=1,
        description="Materials: catalogue names or formulas (bulk cell: primitive cell, "
        "γ-brass 26-atom cell, or an SQS of sqs_n_atoms), or the user's own structures "
        "(CIF/POSCAR path, pymatgen Structure, ASE Atoms; e.g. a slab), taken as given.",
    )
    calculator: str = Field(
        "gpaw", description="Registered calculator whose backend declares 'pdos'."
    )
    preset: str | None = Field(
        "fast", description="Calculator preset (GPAW: fast or accurate; None: no preset)."
    )
    ecut_ev: float | None = Field(None, description="Plane-wave cutoff, eV (None: preset).")
    kpt_density_a: float | None = Field(
        None, description="SCF k-point density, per Å⁻¹ (None: preset)."
    )
    dos_kpt_density_a: float | None = Field(
        8.0,
        gt=0,
        description="k-point density of the DOS run, per Å⁻¹; None: the SCF mesh (the DOS "
        "comes from the SCF, no fixed-density run).",
    )
    small_cell_dos_kpt_density_a: float | None = Field(
        None,
        gt=0,
        description="DOS k-point density of cells of at most small_cell_max_atoms atoms, "
        "per Å⁻¹ (None: dos_kpt_density_a for every cell).",
    )
    small_cell_max_atoms: int = Field(
        QUICK_DENSE_DOS_MAX_ATOMS,
        ge=0,
        description="Largest cell (atoms) that gets small_cell_dos_kpt_density_a.",
    )
    width_ev: float = Field(0.1, gt=0, description="Gaussian broadening of the DOS, eV.")
    smearing_ev: float | None = Field(
        None, description="Fermi-Dirac width of the SCF, eV (None: preset)."
    )
    nprocs: int | None = Field(
        None, description="MPI ranks of the DFT runs (None: $SLURM_NTASKS or 1)."
    )
    relax_max_atoms: int = Field(
        1000,
        ge=0,
        description="Relax cell and positions with the same calculator for cells of at most "
        "this many atoms; larger cells keep the input lattice (stated in the document).",
    )
    sqs_n_atoms: int = Field(
        PDOS_SQS_N_ATOMS, ge=1, description="SQS size of random alloys (25 = Cu16Zn9)."
    )
    n_points: int = Field(1501, ge=100, description="Energy grid points of the DOS.")
    eigenstates_tol_ev2_per_electron: float | None = Field(
        None, description="Eigenstate residual of the SCF, eV²/electron (None: calculator's)."
    )
    eigensolver: str | None = Field(
        "dav",
        description="GPAW plane-wave eigensolver ('dav': Davidson, 2 iterations per step, "
        "0.81-0.84x the SCF time of GPAW's default PPCG on the 25/26-atom cells, the same DOS "
        "at E_F to 0.05 %; 'ppcg', 'cg'; None: GPAW's default). Not passed to VASP.",
    )

    @field_validator("calculator")
    @classmethod
    def _can_compute_pdos(cls, value: str) -> str:
        backend = REGISTRY.get(value)
        if backend is None or "pdos" not in backend.capabilities:
            msg = f"{value!r} cannot compute a PDOS; use one of {calculators_with('pdos')}"
            raise ValueError(msg)
        return value

    @field_validator("preset", *_SETTING_FIELDS)
    @classmethod
    def _backend_accepts(cls, value: Any, info: ValidationInfo) -> Any:
        calculator = info.data.get("calculator")
        if value is None or calculator is None:  # None: preset value; bad calculator: reported
            return value
        name = str(info.field_name)
        if calculator == "vasp":
            if name in _NOT_VASP:  # GPAW-only: not passed to VASP (see calculator_spec)
                return value
            name = _VASP_NAMES.get(name, name)
        setting = {name: value}
        CalculatorSpec(calculator, setting)  # unknown preset
        check = REGISTRY[calculator].validate_settings
        if check is not None:
            check(setting)
        return value

    @classmethod
    def quick(cls, **overrides: Any) -> Self:
        """Return the quick settings (minutes, not converged values), with ``overrides``.

        300 eV, k-density 2.0, the DOS on the SCF mesh (cells of at most
        :data:`QUICK_DENSE_DOS_MAX_ATOMS` atoms: a DOS run at :data:`QUICK_DOS_KPT_DENSITY`),
        eigenstate residuals :data:`QUICK_EIGENSTATES_TOL` eV²/electron, 751 grid points.
        """
        quick = {
            "ecut_ev": QUICK_ECUT_EV,
            "kpt_density_a": QUICK_KPT_DENSITY_A,
            "dos_kpt_density_a": None,
            "small_cell_dos_kpt_density_a": QUICK_DOS_KPT_DENSITY,
            "small_cell_max_atoms": QUICK_DENSE_DOS_MAX_ATOMS,
            "eigenstates_tol_ev2_per_electron": QUICK_EIGENSTATES_TOL,
            "n_points": QUICK_N_POINTS,
        }
        return cls(**{**_preset_for(quick, overrides), **overrides})

    @classmethod
    def paper(cls, *, quick: bool = False, **overrides: Any) -> Self:
        """Return the paper campaign's settings (``quick``: the quick preset), with ``overrides``.

        Both relax only 1-atom cells with the DFT calculator (the 25/26-atom alloy cells keep
        their input lattice, stated in the documents). The full campaign: 300 eV, SCF
        k-density 2.5, DOS k-density 4.0, broadening 0.2 eV (those of bench/results/pdos.json,
        ~14 min for the three materials on 2 ranks; the default DOS density 8 per Å⁻¹ takes
        hours on the 25-atom SQS; the Zn/Cu DOS(E_F) ratios at these settings (0.72, 0.72)
        differ from the quick preset's (0.68, 0.84) by the mesh, not the physics).
        """
        if quick:
            return cls.quick(**{"relax_max_atoms": 1, **overrides})
        paper = {
            "ecut_ev": 300.0,
            "kpt_density_a": 2.5,
            "dos_kpt_density_a": 4.0,
            "width_ev": 0.2,
            "relax_max_atoms": 1,
        }
        return cls(**{**_preset_for(paper, overrides), **overrides})

    def calculator_spec(self) -> CalculatorSpec:
        """Return the calculator spec of the SCF: the preset plus the settings given.

        With VASP the option names map onto its settings (``ecut_ev`` -> ``encut_ev``,
        ``smearing_ev`` -> ``sigma_ev``); GPAW's eigensolver tolerance and rank count have no
        VASP counterpart (INCAR EDIFF and the job's own ``srun`` decide) and are not passed.
        """
        settings: dict[str, Any] = {} if self.preset is None else {"preset": self.preset}
        given = {k: getattr(self, k) for k in _SETTING_FIELDS if getattr(self, k) is not None}
        if self.calculator == "vasp":
            given = {_VASP_NAMES.get(k, k): v for k, v in given.items() if k not in _NOT_VASP}
        settings.update(given)
        return CalculatorSpec(self.calculator, settings)

    def dos_kpt_density_for(self, n_atoms: int, spec: CalculatorSpec | None = None) -> float:
        """Return the DOS k-point density (per Å⁻¹) of a cell of ``n_atoms`` atoms.

        Raises
        ------
        ConfigurationError
            If the DOS is on the SCF mesh and the calculator has no ``kpt_density_a`` setting.
        """
        if self.small_cell_dos_kpt_density_a is not None and n_atoms <= self.small_cell_max_atoms:
            return self.small_cell_dos_kpt_density_a
        if self.dos_kpt_density_a is not None:
            return self.dos_kpt_density_a
        density = (spec or self.calculator_spec()).settings().get("kpt_density_a")
        if density is None:
            msg = (
                f"dos_kpt_density_a: None (the SCF mesh) needs a k-point density of the SCF, "
                f"which calculator {self.calculator!r} does not set; give dos_kpt_density_a"
            )
            raise ConfigurationError(msg)
        return float(density)


class PdosCurves(BaseModel):
    """What Fig. 5b draws for one material."""

    energies_ev: list[float] = Field(description="Energy grid relative to E_F, eV.")
    element_pdos: dict[str, list[list[float]]] = Field(
        description="Per element [s, p, d] PDOS, states/eV/atom."
    )
    converged_up_to_ev: float = Field(
        description="Bands converged up to this energy above E_F, eV (the plot stops there)."
    )


class Result(StudyResult):
    """PDOS documents of the options' materials (newest with these settings), and the curves."""

    schema_version: int = Field(1, description="Version of this result's schema.")
    study: str = Field("pdos", description="Study name.")
    calculator: str = Field(description="Calculator of the PDOS.")
    materials: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Material label -> PdosDoc fields without arrays and structure (the pdos "
        "command's --json 'materials').",
    )
    rows: list[dict[str, Any]] = Field(
        default_factory=list,
        description="One row per material and element: DOS at E_F (total, s, p, d; "
        "states/eV/atom), d-band centre and width (eV) (analysis.pdos.pdos_table_rows).",
    )
    curves: dict[str, PdosCurves] = Field(
        default_factory=dict, description="Material label -> the arrays Fig. 5b draws."
    )
    uuids: dict[str, str] = Field(
        default_factory=dict, description="Material label -> uuid of the PDOS job."
    )
    dos_sum_rule: dict[str, dict[str, float | None]] = Field(
        default_factory=dict,
        description="Material label -> total DOS at E_F and the sum of the sphere projections "
        "(s+p+d over all atoms), both states/eV/atom (mean over E_F ± 0.1 eV), and their ratio "
        "sphere/total (< 1: the interstitial share the spheres miss); analysis.pdos.dos_sum_rule.",
    )
    dos_settings: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Material label -> DOS k-point density (per Å⁻¹) and mesh, Gaussian width "
        "(eV), energy grid (eV, points) of its PDOS document.",
    )
    dos_settings_consistent: bool | None = Field(
        None,
        description="Every material's DOS has the same k-point density, broadening and energy "
        "grid (None: fewer than two materials).",
    )
    definition: str = Field(PDOS_DEFINITION, description="Definitions of the numbers.")


# --------------------------------------------------------------------------- flows
def build_flows(options: Options) -> dict[str, Flow]:
    """Return one PDOS flow per material (label -> flow); no job runs.

    Every input is checked here: materials (catalogue, files), the calculator's elements,
    its installation (package, data files, MPI launcher).

    Raises
    ------
    ConfigurationError
        For an unknown material, an unreadable structure file, two materials with the same
        label or elements the calculator does not cover.
    CalculatorUnavailableError
        If the calculator cannot run here.
    """
    spec = options.calculator_spec()
    base = PdosMaker(
        pdos_maker=PdosCalcMaker(width_ev=options.width_ev, n_points=options.n_points),
        sqs_n_atoms=options.sqs_n_atoms,
    ).with_calculator(spec)
    flows: dict[str, Flow] = {}
    for label, material in materials_of(options.materials):
        if label in flows:
            msg = f"materials: two inputs have the label {label!r}; results are stored by label"
            raise ConfigurationError(msg)
        struct = (
            material
            if isinstance(material, Structure)
            else pdos_input_structure(material, sqs_n_atoms=options.sqs_n_atoms)[0]
        )
        maker = base if len(struct) <= options.relax_max_atoms else replace(base, relax_maker=None)
        density = options.dos_kpt_density_for(len(struct), spec)
        maker = replace(maker, pdos_maker=replace(maker.pdos_maker, dos_kpt_density_a=density))
        flows[label] = maker.make(material, name=label)
    if not spec.backend.native_makers:  # VASP: checked before a local run and at each job start
        check_installation(spec)
    return keep_relax_trajectories(flows, options.keep_trajectory)


def run(
    options: Options,
    store: JobStore | None = None,
    *,
    data_dir: str | Path | None = None,
    on_job: Callable[[JobEvent], None] | None = None,
    flows: Mapping[str, Flow] | None = None,
) -> Result:
    """Run the PDOS flows locally into ``store`` and return :func:`collect`'s result.

    Raises
    ------
    ConfigurationError, CalculatorUnavailableError
        From :func:`build_flows` (when ``flows`` is not given), before any job runs.
    """
    store, _outputs, failed = build_and_run(
        options, store, build_flows=build_flows, data_dir=data_dir, on_job=on_job, flows=flows
    )
    result = collect(store, options)
    result.failed.update(failed)
    return result


# --------------------------------------------------------------------------- collect
def _settings_key(settings: Mapping[str, Any], runtime: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if k not in runtime}


def _matches(out: Mapping[str, Any], options: Options, spec: CalculatorSpec) -> bool:
    """Whether a stored PDOS document was computed with ``options``' settings."""
    n_atoms = int(out.get("n_atoms") or 0)
    runtime = spec.backend.runtime_keys
    relaxed = str(out.get("lattice_source", "")).startswith("cell")
    sqs_size_ok = "-atom SQS" not in str(out.get("structure_note", "")) or (
        n_atoms == options.sqs_n_atoms
    )
    return (
        _settings_key(out.get("calculator_settings") or {}, runtime)
        == _settings_key(spec.settings(), runtime)
        and out.get("width_ev") == options.width_ev
        and out.get("n_points") == options.n_points
        and out.get("dos_kpt_density_a") == options.dos_kpt_density_for(n_atoms, spec)
        and list(out.get("energy_window_ev") or []) == list(_ENERGY_WINDOW_EV)
        and relaxed == (n_atoms <= options.relax_max_atoms)
        and sqs_size_ok
    )


def collect(store: JobStore, options: Options) -> Result:
    """Return the newest stored PDOS of each material computed with ``options``' settings.

    A document matches by material label, calculator, its effective settings (runtime
    settings such as MPI ranks aside), the DOS settings (k-point density for its cell size,
    broadening, grid) and whether its lattice was relaxed. Materials without one are named
    in ``Result.missing``; nothing raises for a half-finished study.
    """
    spec = options.calculator_spec()
    labels = [material_label(m) for m in options.materials]
    criteria = {"output.doc_type": "pdos", "output.calculator_name": options.calculator}
    props = ["uuid", "completed_at", *(f"output.{k}" for k in _DOC_KEYS)]
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for doc in store.query(criteria=criteria, properties=props, sort={"completed_at": 1}):
        out = doc.get("output") or {}
        label = out.get("material")
        if label in labels and _matches(out, options, spec):
            found[label] = (doc["uuid"], {k: v for k, v in out.items() if not k.startswith("@")})
    result = Result(calculator=options.calculator, options=options.model_dump(mode="json"))
    for label in labels:
        if label not in found:
            result.missing.append(label)
            continue
        uuid, out = found[label]
        arrays = store.query_one(
            {"uuid": uuid},
            properties=["output.energies_ev", "output.element_pdos", "output.total_dos"],
            load=True,
        )
        if arrays is None:  # removed since the query above
            result.missing.append(label)
            continue
        result.materials[label] = out
        result.uuids[label] = uuid
        result.curves[label] = PdosCurves(
            energies_ev=arrays["output"]["energies_ev"],
            element_pdos=arrays["output"]["element_pdos"],
            converged_up_to_ev=out["dos_converged_up_to_ev"],
        )
        _add_sum_rule(result, label, out, arrays["output"])
    result.rows = pdos_table_rows(result.materials)
    for row in result.rows:
        row.update(result.dos_sum_rule.get(row["material"], {}))
    if len(result.dos_settings) > 1:
        first, *rest = result.dos_settings.values()
        result.dos_settings_consistent = all(
            {k: v for k, v in s.items() if k != "dos_kpts"}
            == {k: v for k, v in first.items() if k != "dos_kpts"}
            for s in rest
        )
    return result


def _add_sum_rule(
    result: Result, label: str, out: Mapping[str, Any], arrays: Mapping[str, Any]
) -> None:
    """Record the DOS settings and the sum rule (total DOS vs sphere sum at E_F) of a material."""
    result.dos_settings[label] = {
        "dos_kpt_density_a": out.get("dos_kpt_density_a"),
        "dos_kpts": out.get("dos_kpts"),
        "width_ev": out.get("width_ev"),
        "energy_window_ev": out.get("energy_window_ev"),
        "n_points": out.get("n_points"),
    }
    if arrays.get("total_dos") is None or not out.get("counts"):
        return
    result.dos_sum_rule[label] = dos_sum_rule(
        arrays["energies_ev"],
        arrays["total_dos"],
        arrays["element_pdos"],
        out["counts"],
        window_ev=float(out.get("dos_at_fermi_window_ev") or DOS_AT_FERMI_WINDOW_EV),
    )


# --------------------------------------------------------------------------- outputs
def payload(result: Result) -> dict[str, Any]:
    """Return the pdos command's --json payload: ``definition``, ``rows``, ``materials``."""
    return {"definition": result.definition, "rows": result.rows, "materials": result.materials}


def figures(result: Result, out_dir: str | Path, *, format: str = "png") -> dict[str, Path]:
    """Write Fig. 5b and its table; return ``{"5b": PNG, "5b_csv": CSV}``.

    ``5b`` (:data:`FIGURE_NAME`): one panel per material, element PDOS against E − E_F;
    ``5b_csv`` (:data:`CSV_NAME`): one line per material and element. Both are written when
    a material has a PDOS (else the dict is empty).

    ``format``: ``"png"``, ``"pdf"`` or ``"svg"`` (the figure files' suffix); the open
    matplotlib Figures come from the analysis builders (``*_figure``).
    """
    figure = figure_path(Path(out_dir) / FIGURE_NAME, format)  # checked before writing
    if not result.curves:
        return {}
    out = Path(out_dir)
    csv = write_pdos_csv(result.rows, out / CSV_NAME)
    png = plot_pdos({label: c.model_dump() for label, c in result.curves.items()}, figure)
    return {PANEL: png, f"{PANEL}_csv": csv}


def claims(result: Result, *, roles: Mapping[str, str] | None = None) -> list[Claim]:
    """Return the paper's Fig. 5b claims set against ours (:func:`analysis.report.claims_5b`).

    ``roles``: role -> material label (default :data:`lithiophilic.defaults.PAPER_ROLES`).
    """
    return claims_5b(payload(result) if result.materials else None, roles=roles)


def table_rows(result: Result) -> list[dict[str, Any]]:
    """Return the rows of the Fig. 5b table (one per material and element).

    Besides the element's numbers each row carries its material's sum rule:
    ``total_dos_at_fermi_states_per_ev_atom``, ``sphere_sum_dos_at_fermi_states_per_ev_atom``
    and ``sphere_to_total_ratio`` (:attr:`Result.dos_sum_rule`).
    """
    return list(result.rows)
