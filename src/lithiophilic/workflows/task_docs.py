"""atomate2 and emmet task documents read as ours, and ours written as atomate2's.

Every consumer of a relaxation or static result in our flows reads it with
:func:`as_calc_doc`, which accepts

- our :class:`~lithiophilic.workflows.base.AseCalcDoc` (object or stored dict), unchanged;
- atomate2's ``ForceFieldTaskDocument`` (and the generic ``AseStructureTaskDoc`` of its ASE
  Makers), object or stored dict;
- emmet/atomate2's VASP ``TaskDoc``, object or stored dict,

so a relax/static slot of our Makers can hold any Maker that follows atomate2's contract
``make(structure, prev_dir=None)``. :func:`make_calc_job` is the one place where our flows
call such a slot.

Our documents stay flat; :func:`to_forcefield_task_doc` writes one as an atomate2
``ForceFieldTaskDocument`` for atomate2's queries and builders, and
:func:`from_forcefield_task_doc` reads it back. What atomate2's schema has no field for
(cache key, reuse pointer, calculator provenance, label) is kept twice:

- ``tags``: ``"lithiophilic"``, ``"label=<label>"``, ``"cache_key=<key>"``,
  ``"calculator=<registry name>"`` (queryable: ``{"output.tags": "cache_key=..."}``);
- ``entry.data["lithiophilic"]``: every field of the flat document except the structure
  (the structure is the task document's own ``structure``), so the round trip is lossless.

A document read from atomate2 or emmet has an empty ``cache_key``: it was not computed by
one of our Makers, so it is never offered for reuse; a foreign Maker's job reruns each time
(atomate2 has no result cache). Its ``calculator_name`` is our registry name where one maps
(:data:`FORCEFIELD_NAMES`: ``MLFF.SevenNet`` -> ``"sevenn"``, so the study's queries by
calculator find it), else atomate2's name (``"vasp"`` for VASP); ``source_doc`` names the
class it was read from.
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec, check_elements
from lithiophilic.provenance import structure_hash
from lithiophilic.units import KBAR_TO_EV_PER_A3
from lithiophilic.workflows.base import AseCalcDoc

if TYPE_CHECKING:
    from pathlib import Path

    from atomate2.forcefields.schemas import ForceFieldTaskDocument
    from jobflow import Flow, Job, Maker

__all__ = [
    "FORCEFIELD_NAMES",
    "as_calc_doc",
    "calculator_kind",
    "check_maker_elements",
    "check_slab_relax_maker",
    "describe_maker",
    "from_forcefield_task_doc",
    "from_vasp_task_doc",
    "is_lithiophilic_maker",
    "make_calc_job",
    "output_energy_per_atom",
    "same_calculator",
    "to_forcefield_task_doc",
    "with_calculator_spec",
]

logger = logging.getLogger(__name__)

#: Our registry names -> atomate2's ``MLFF`` names (``forcefield_name`` of its documents).
FORCEFIELD_NAMES: dict[str, str] = {
    "sevenn": "MLFF.SevenNet",
    "chgnet": "MLFF.CHGNet",
    "mace": "MLFF.MACE_MP_0",
    "mattersim": "MLFF.MatterSim",
    "matgl": "MLFF.M3GNet",
}

_OUR_NAMES = {v: k for k, v in FORCEFIELD_NAMES.items()}

#: Default ``fmax`` (eV/Å) of atomate2's ``AseRelaxer.relax`` when ``relax_kwargs`` has none.
_ATOMATE2_DEFAULT_FMAX_EV_PER_A = 0.1

_KIND_FORCEFIELD = "forcefield"
_KIND_VASP = "vasp"
_KIND_OURS = "lithiophilic"


# --------------------------------------------------------------------------- access helpers
def _get(obj: Any, *path: str) -> Any:
    """Return ``obj.a.b`` / ``obj["a"]["b"]`` along ``path`` (objects and dicts mixed), or None."""
    for key in path:
        if obj is None:
            return None
        obj = obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)
    return obj


def _value(x: Any) -> Any:
    """Return an enum's value (TaskState, MLFF), anything else unchanged."""
    return getattr(x, "value", x)


def _structure(x: Any) -> Structure | None:
    if x is None or isinstance(x, Structure):
        return x
    if isinstance(x, Mapping) and "lattice" in x:
        return Structure.from_dict(x)
    return None


def _class_path(doc: Any) -> str:
    if isinstance(doc, Mapping):
        return f"{doc.get('@module', '')}.{doc.get('@class', '')}".strip(".")
    return f"{type(doc).__module__}.{type(doc).__name__}"


def _doc_kind(doc: Any) -> str:
    """Return which family ``doc`` belongs to: ours, an atomate2 force-field/ASE doc, or VASP."""
    if isinstance(doc, AseCalcDoc) or _get(doc, "doc_type") == "ase_calc":
        return _KIND_OURS
    cls = _class_path(doc)
    if "calcs_reversed" in _keys(doc) or "vasp_version" in _keys(doc) or cls.endswith(".TaskDoc"):
        return _KIND_VASP
    if "ase_calculator_name" in _keys(doc) or "forcefield_name" in _keys(doc):
        return _KIND_FORCEFIELD
    msg = (
        f"calculation document: cannot read a {cls or type(doc).__name__}; expected a "
        "lithiophilic AseCalcDoc, an atomate2 ForceFieldTaskDocument/AseStructureTaskDoc or "
        "an emmet VASP TaskDoc (object or dict)"
    )
    raise ConfigurationError(msg)


def _keys(doc: Any) -> set[str]:
    if isinstance(doc, Mapping):
        return set(doc)
    fields = getattr(type(doc), "model_fields", None)
    return set(fields) if fields else set(vars(doc))


def _max_free_force_ev_per_a(forces: Any, structure: Structure) -> float:
    """Largest force on an atom not fixed by ``selective_dynamics``, eV/Å (NaN if unknown)."""
    if forces is None or len(forces) != len(structure):
        return float("nan")
    f = np.asarray(forces, dtype=float)
    sd = structure.site_properties.get("selective_dynamics")
    if sd is not None:
        free = np.array([any(bool(v) for v in s) for s in sd])
        f = f[free]
    return float(np.sqrt((f**2).sum(axis=1)).max()) if len(f) else 0.0


def _stress_voigt_ev_per_a3(stress_kbar: Any) -> list[float] | None:
    """VASP/atomate2 3x3 stress in kbar (pressure sign) -> ASE Voigt stress in eV/Å³."""
    if stress_kbar is None:
        return None
    from ase.stress import full_3x3_to_voigt_6_stress

    s = -np.asarray(stress_kbar, dtype=float) * KBAR_TO_EV_PER_A3
    return [float(v) for v in full_3x3_to_voigt_6_stress(s)]


def _stress_kbar(stress_ev_per_a3: list[float] | None) -> list[list[float]] | None:
    """ASE Voigt stress in eV/Å³ -> atomate2's 3x3 stress in kbar (pressure sign)."""
    if stress_ev_per_a3 is None:
        return None
    from ase.stress import voigt_6_to_full_3x3_stress

    s = -voigt_6_to_full_3x3_stress(np.asarray(stress_ev_per_a3, dtype=float)) / KBAR_TO_EV_PER_A3
    return s.tolist()


def _hash(structure: Structure) -> str:
    return structure_hash(AseAtomsAdaptor.get_atoms(structure))


def _float_or_nan(x: Any) -> float:
    return float("nan") if x is None else float(x)


def _from_tags(tags: Iterable[str] | None, key: str) -> str | None:
    """Return the value of a ``"key=value"`` tag, or None."""
    for t in tags or ():
        if isinstance(t, str) and t.startswith(f"{key}="):
            return t[len(key) + 1 :]
    return None


def _label_from_tags(tags: Iterable[str] | None) -> str:
    return _from_tags(tags, "label") or ""


def _common_fields(doc: Any, structure: Structure, energy: float, label: str | None) -> dict:
    """Fields every foreign document fills the same way."""
    energy_per_atom = _get(doc, "output", "energy_per_atom")
    return {
        "label": label if label is not None else _label_from_tags(_get(doc, "tags")),
        "structure": structure,
        "structure_hash": _hash(structure),
        "formula": structure.composition.reduced_formula,
        "n_atoms": len(structure),
        "energy_ev": energy,
        "energy_per_atom_ev": (
            float(energy_per_atom) if energy_per_atom is not None else energy / len(structure)
        ),
        "max_force_ev_per_a": _max_free_force_ev_per_a(_get(doc, "output", "forces"), structure),
        "volume_a3": float(structure.volume),
        "dir_name": str(_get(doc, "dir_name") or ""),
        "cache_key": "",
        "source_doc": _class_path(doc),
    }


def _final_structure_and_energy(doc: Any) -> tuple[Structure, float]:
    structure = _structure(_get(doc, "structure")) or _structure(_get(doc, "output", "structure"))
    structure = structure or _structure(_get(doc, "output", "mol_or_struct"))
    energy = _get(doc, "output", "energy")
    if structure is None or energy is None:
        msg = (
            f"calculation document {_class_path(doc)}: no final structure or no output.energy "
            "(was the calculation run to the end?)"
        )
        raise ConfigurationError(msg)
    return structure, float(energy)


# --------------------------------------------------------------------------- readers
def from_forcefield_task_doc(doc: Any, *, label: str | None = None) -> AseCalcDoc:
    """Read an atomate2 ``ForceFieldTaskDocument`` (or ``AseStructureTaskDoc``) as an AseCalcDoc.

    A document written by :func:`to_forcefield_task_doc` comes back field for field (its
    ``entry.data["lithiophilic"]``). Any other is read from atomate2's fields: energy
    (``output.energy``), final structure, forces (largest on a free atom), stress
    (kbar, pressure sign -> eV/Å³, ASE sign), optimizer steps, convergence (``state``), the
    relaxation settings (``input``) and the force field's name and version.

    Parameters
    ----------
    doc
        The task document, object or dict (as stored by jobflow).
    label
        Label for the result; ``None`` takes it from a ``"label=..."`` tag, else ``""``.

    Returns
    -------
    AseCalcDoc
        ``cache_key`` is empty unless the document came from us.

    Raises
    ------
    ConfigurationError
        If the document has no final structure or energy.
    """
    structure, energy = _final_structure_and_energy(doc)
    ours = _get(doc, "entry", "data", "lithiophilic")
    if isinstance(ours, Mapping):
        back = AseCalcDoc.model_validate({**ours, "structure": structure})
        return back if label is None else back.model_copy(update={"label": label})
    steps = _get(doc, "input", "steps")
    is_relax = steps is not None and int(steps) > 1
    relax_kwargs = dict(_get(doc, "input", "relax_kwargs") or {})
    optimizer_kwargs = dict(_get(doc, "input", "optimizer_kwargs") or {})
    ff_name = _value(_get(doc, "forcefield_name")) or _value(_get(doc, "ase_calculator_name"))
    ff_name = str(ff_name or "unknown")
    tags = _get(doc, "tags")
    state = _value(_get(doc, "state"))
    converged = True if not is_relax else state == "successful"
    n_frames = _get(doc, "output", "n_steps")
    input_structure = _structure(_get(doc, "input", "mol_or_struct")) or _structure(
        _get(doc, "input", "structure")
    )
    return AseCalcDoc(
        **_common_fields(doc, structure, energy, label),
        task="relax" if is_relax else "static",
        input_structure_hash=_hash(input_structure or structure),
        stress_ev_per_a3=_stress_voigt_ev_per_a3(_get(doc, "output", "stress")),
        converged=converged,
        # atomate2 counts trajectory frames: the start, one per step and the final evaluation
        n_steps=max(int(n_frames) - 2, 0) if (is_relax and n_frames) else 0,
        relax_cell=bool(_get(doc, "input", "relax_cell")) if is_relax else False,
        fmax_ev_per_a=(
            float(relax_kwargs.get("fmax", _ATOMATE2_DEFAULT_FMAX_EV_PER_A)) if is_relax else None
        ),
        max_steps=int(steps) if is_relax else None,
        optimizer=str(optimizer_kwargs.get("optimizer", "FIRE")) if is_relax else None,
        calculator_name=_OUR_NAMES.get(ff_name, ff_name),
        calculator_package=_forcefield_package(ff_name),
        calculator_version=_get(doc, "forcefield_version"),
        calculator_model=_from_tags(tags, "model"),
        calculator_settings={
            "forcefield_name": ff_name,
            "ase_calculator_name": _value(_get(doc, "ase_calculator_name")),
            "relax_kwargs": relax_kwargs,
            "optimizer_kwargs": optimizer_kwargs,
        },
        wall_time_s=_float_or_nan(_get(doc, "output", "elapsed_time")),
    )


def _forcefield_package(ff_name: str) -> str:
    """Python package of an atomate2 force field name (``"MLFF.SevenNet"`` -> ``"sevenn"``)."""
    from atomate2.forcefields.utils import MLFF, _get_pkg_name

    try:
        return _get_pkg_name(MLFF(ff_name)) or ff_name
    except ValueError:  # not an MLFF name (e.g. an ASE calculator class name)
        return ff_name


def from_vasp_task_doc(doc: Any, *, label: str | None = None) -> AseCalcDoc:
    """Read an emmet/atomate2 VASP ``TaskDoc`` as an AseCalcDoc.

    The task is a relaxation when the INCAR has ``NSW > 0`` and ``IBRION`` 1, 2 or 3; the
    cell was relaxed when ``ISIF >= 3``; ``fmax_ev_per_a`` is ``-EDIFFG`` when EDIFFG < 0.
    Convergence is the document's ``state`` (``"successful"``); steps are the ionic steps of
    every run in ``calcs_reversed``. The calculator settings hold the INCAR and the POTCAR
    symbols; the version is VASP's.

    Parameters
    ----------
    doc
        The task document, object or dict (as stored by jobflow).
    label
        Label for the result; ``None`` takes it from a ``"label=..."`` tag, else the task
        document's ``task_label``, else ``""``.

    Returns
    -------
    AseCalcDoc
        With an empty ``cache_key``.

    Raises
    ------
    ConfigurationError
        If the document has no final structure or energy.
    """
    structure, energy = _final_structure_and_energy(doc)
    calcs = list(_get(doc, "calcs_reversed") or [])
    last = calcs[0] if calcs else None
    incar = dict(
        _get(doc, "input", "incar")
        or _get(last, "input", "incar")
        or _get(doc, "orig_inputs", "incar")
        or {}
    )
    nsw = int(incar.get("NSW", 0) or 0)
    ibrion = int(incar.get("IBRION", -1 if nsw == 0 else 0))
    is_relax = nsw > 0 and ibrion in (1, 2, 3)
    ediffg = float(incar.get("EDIFFG", 0.0) or 0.0)
    potcars = _get(doc, "input", "potcar_spec") or _get(last, "input", "potcar_spec") or []
    n_ionic = sum(len(_get(c, "output", "ionic_steps") or []) for c in calcs)
    elapsed = _get(doc, "run_stats", "overall", "Elapsed time (sec)")
    elapsed = elapsed if elapsed is not None else _get(doc, "run_stats", "overall", "elapsed_time")
    input_structure = _structure(_get(doc, "input", "structure")) or _structure(
        _get(doc, "orig_inputs", "structure")
    )
    if label is None:
        label = _label_from_tags(_get(doc, "tags")) or str(_get(doc, "task_label") or "")
    return AseCalcDoc(
        **_common_fields(doc, structure, energy, label),
        task="relax" if is_relax else "static",
        input_structure_hash=_hash(input_structure or structure),
        stress_ev_per_a3=_stress_voigt_ev_per_a3(_get(doc, "output", "stress")),
        converged=_value(_get(doc, "state")) == "successful",
        n_steps=n_ionic if is_relax else 0,
        relax_cell=is_relax and int(incar.get("ISIF", 2)) >= 3,
        fmax_ev_per_a=-ediffg if (is_relax and ediffg < 0) else None,
        max_steps=nsw if is_relax else None,
        optimizer=f"VASP IBRION={ibrion}" if is_relax else None,
        calculator_name="vasp",
        calculator_package="vasp",
        calculator_version=_get(doc, "vasp_version") or _get(last, "vasp_version"),
        calculator_model=None,
        calculator_settings={
            "incar": incar,
            "potcar_symbols": [_get(p, "titel") for p in potcars],
        },
        wall_time_s=_float_or_nan(elapsed),
    )


def as_calc_doc(doc: Any, *, label: str | None = None) -> AseCalcDoc:
    """Return any relaxation/static result as our flat :class:`AseCalcDoc`.

    Parameters
    ----------
    doc
        Our AseCalcDoc (returned unchanged), an atomate2 ``ForceFieldTaskDocument`` /
        ``AseStructureTaskDoc`` or an emmet VASP ``TaskDoc``, each as object or dict.
    label
        Label for a foreign document (ours keep theirs); ``None`` reads it from the
        document's ``"label=..."`` tag if it has one.

    Returns
    -------
    AseCalcDoc

    Raises
    ------
    ConfigurationError
        If ``doc`` is none of these, or has no final structure or energy.

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> s = Structure(Lattice.cubic(3.6), ["Cu"], [[0, 0, 0]])
    >>> d = as_calc_doc({"structure": s.as_dict(), "output": {"energy": -3.7},
    ...                  "forcefield_name": "MLFF.SevenNet", "input": {"steps": 1}})
    >>> d.task, d.energy_per_atom_ev, d.calculator_package, d.cache_key
    ('static', -3.7, 'sevenn', '')
    """
    kind = _doc_kind(doc)
    if kind == _KIND_OURS:
        return doc if isinstance(doc, AseCalcDoc) else AseCalcDoc.model_validate(doc)
    if kind == _KIND_VASP:
        return from_vasp_task_doc(doc, label=label)
    return from_forcefield_task_doc(doc, label=label)


# --------------------------------------------------------------------------- writer
def to_forcefield_task_doc(doc: AseCalcDoc) -> ForceFieldTaskDocument:
    """Write our document as an atomate2 ``ForceFieldTaskDocument``.

    The energy, structure, stress (eV/Å³ -> kbar, atomate2's sign), step count, relaxation
    settings, directory, convergence (``state``, ``is_force_converged``) and the force
    field's name (:data:`FORCEFIELD_NAMES`, else our registry name) and version go into
    atomate2's fields; label, cache key, reuse pointer and calculator provenance go into
    ``tags`` and ``entry.data["lithiophilic"]`` (see the module docstring). Forces are not
    stored by us, so ``output.forces`` is None.

    Parameters
    ----------
    doc
        Our document (an AseCalcDoc or anything :func:`as_calc_doc` reads).

    Returns
    -------
    ForceFieldTaskDocument
    """
    from atomate2.ase.schemas import InputDoc, OutputDoc
    from atomate2.forcefields.schemas import ForceFieldTaskDocument
    from emmet.core.types.enums import TaskState
    from pymatgen.entries.computed_entries import ComputedEntry

    doc = as_calc_doc(doc)
    is_relax = doc.task == "relax"
    structure = doc.structure
    ff_name = FORCEFIELD_NAMES.get(doc.calculator_name, doc.calculator_name)
    tags = [
        "lithiophilic",
        f"label={doc.label}",
        f"cache_key={doc.cache_key}",
        f"calculator={doc.calculator_name}",
    ]
    if doc.calculator_model:
        tags.append(f"model={doc.calculator_model}")
    entry = ComputedEntry(
        structure.composition,
        doc.energy_ev,
        parameters={"calculator_settings": doc.calculator_settings},
        data={"lithiophilic": doc.model_dump(exclude={"structure"})},
    )
    return ForceFieldTaskDocument.from_structure(
        meta_structure=structure,
        structure=structure,
        input=InputDoc(
            relax_cell=doc.relax_cell,
            steps=doc.max_steps if is_relax else 1,
            relax_kwargs={"fmax": doc.fmax_ev_per_a} if is_relax else {},
            optimizer_kwargs={"optimizer": doc.optimizer} if is_relax else {},
        ),
        output=OutputDoc(
            mol_or_struct=structure,
            energy=doc.energy_ev,
            energy_per_atom=doc.energy_per_atom_ev,
            stress=_stress_kbar(doc.stress_ev_per_a3),
            n_steps=doc.n_steps + 2 if is_relax else 1,
            elapsed_time=doc.wall_time_s if math.isfinite(doc.wall_time_s) else None,
        ),
        ase_calculator_name=ff_name,
        forcefield_name=ff_name,
        forcefield_version=doc.calculator_version,
        dir_name=doc.dir_name,
        state=TaskState.SUCCESS if doc.converged else TaskState.FAILED,
        is_force_converged=doc.converged,
        tags=tags,
        entry=entry,
    )


# --------------------------------------------------------------------------- Maker slots
def is_lithiophilic_maker(maker: Any) -> bool:
    """Return True for our calculator Makers (their ``make`` takes ``label``)."""
    make = getattr(maker, "make", None)
    if make is None:
        return False
    try:
        params = inspect.signature(make).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        return False
    return "label" in params


def check_maker_elements(maker: Any, elements: Iterable[str]) -> None:
    """Check that a slot's calculator covers ``elements`` (our Makers only).

    A foreign Maker (atomate2's) has no :class:`CalculatorSpec`; its calculator is only built
    when its job runs, so nothing is checked here (building a force field's live calculator
    to ask would load the model).

    Raises
    ------
    ConfigurationError
        If the slot holds something without a ``make`` method, or our Maker's calculator
        does not cover ``elements``.
    """
    if not callable(getattr(maker, "make", None)):
        msg = f"Maker slot: {type(maker).__name__} has no make(structure, prev_dir=None) method"
        raise ConfigurationError(msg)
    spec = getattr(maker, "calculator", None) if is_lithiophilic_maker(maker) else None
    if isinstance(spec, CalculatorSpec):
        check_elements(spec, elements)


def check_slab_relax_maker(maker: Any, field_name: str) -> None:
    """Raise if a slab slot's Maker would relax the cell (it would shrink the vacuum).

    Raises
    ------
    ConfigurationError
        If ``maker.relax_cell`` (our Makers and atomate2's ASE/force-field Makers) is True,
        or ``maker`` has no ``make`` method.
    """
    if not callable(getattr(maker, "make", None)):
        msg = f"{field_name}: {type(maker).__name__} has no make(structure, prev_dir=None) method"
        raise ConfigurationError(msg)
    if getattr(maker, "relax_cell", False):
        msg = (
            f"{field_name}: {type(maker).__name__} has relax_cell=True; a slab relaxation must "
            "keep the cell (set relax_cell=False)"
        )
        raise ConfigurationError(msg)


def with_calculator_spec(maker: Maker, calculator: CalculatorSpec) -> Maker:
    """Return our Maker with ``calculator`` swapped in; a foreign Maker keeps its own calculator."""
    if is_lithiophilic_maker(maker) and isinstance(
        getattr(maker, "calculator", None), CalculatorSpec
    ):
        return replace(maker, calculator=calculator)
    logger.info(
        "%s keeps its own calculator (not a lithiophilic Maker; %s not applied)",
        type(maker).__name__,
        calculator.name,
    )
    return maker


def calculator_kind(maker: Maker) -> str:
    """Return what kind of calculator a slot runs: ``"mlip"``, ``"dft"``, ``"classical"``, ...

    Our Makers answer from their registry backend; atomate2's force-field Makers are
    ``"mlip"``, its VASP Makers ``"dft"``; any other Maker is ``"unknown"``.
    """
    spec = getattr(maker, "calculator", None) if is_lithiophilic_maker(maker) else None
    if isinstance(spec, CalculatorSpec):
        return spec.backend.kind
    if getattr(maker, "force_field_name", None) is not None:
        return "mlip"
    if type(maker).__module__.startswith("atomate2.vasp"):
        return "dft"
    return "unknown"


def _calculator_identity(maker: Maker) -> tuple[str, ...]:
    spec = getattr(maker, "calculator", None) if is_lithiophilic_maker(maker) else None
    if isinstance(spec, CalculatorSpec):
        return ("lithiophilic", spec.key())
    kwargs = getattr(maker, "calculator_kwargs", None) or {}
    incar = getattr(getattr(maker, "input_set_generator", None), "user_incar_settings", None)
    return (
        type(maker).__module__,
        str(getattr(maker, "force_field_name", None)),
        repr(sorted(kwargs.items())),
        repr(sorted((incar or {}).items())),
    )


def same_calculator(a: Maker, b: Maker) -> bool:
    """Return True if two slots compute energies with the same calculator and settings.

    Our Makers compare their :class:`CalculatorSpec` keys; atomate2 Makers their module,
    force field name, calculator kwargs and the INCAR settings of their input-set generator.
    One of ours and one of atomate2's are never taken as the same.
    """
    return bool(_calculator_identity(a) == _calculator_identity(b))


def describe_maker(maker: Maker) -> str:
    """Return the calculator and force threshold of a relax slot, for provenance notes."""
    spec = getattr(maker, "calculator", None) if is_lithiophilic_maker(maker) else None
    if isinstance(spec, CalculatorSpec):
        return f"{spec.name} (fmax {getattr(maker, 'fmax_ev_per_a', None)} eV/Å)"
    ff = getattr(maker, "force_field_name", None)
    fmax = (getattr(maker, "relax_kwargs", None) or {}).get("fmax")
    what = type(maker).__name__ + (f" {ff}" if ff else "")
    return what + (f" (fmax {fmax} eV/Å)" if fmax is not None else "")


def output_energy_per_atom(maker: Maker, made: Job | Flow) -> Any:
    """Return a reference to the energy per atom (eV/atom) of a slot's job, for any Maker.

    Our documents hold it as ``energy_per_atom_ev``; atomate2's force-field documents and
    emmet's VASP TaskDoc as ``output.energy_per_atom`` (eV/atom both).
    """
    if is_lithiophilic_maker(maker):
        return made.output.energy_per_atom_ev
    return made.output.output.energy_per_atom


def _tagged(maker: Maker, label: str) -> Maker:
    """Return a copy of an atomate2 ASE/force-field Maker whose documents carry our tags.

    ``"label=<label>"`` and ``"model=<calculator_kwargs['model']>"`` go into the Maker's
    ``tags`` (atomate2 writes them into its task document), so :func:`as_calc_doc` reads
    the label and model back. Makers without a ``tags`` field are returned unchanged.
    """
    if not (is_dataclass(maker) and "tags" in {f.name for f in fields(maker)}):
        return maker
    extra = [f"label={label}"] if label else []
    model = (getattr(maker, "calculator_kwargs", None) or {}).get("model")
    if model is not None:
        extra.append(f"model={model}")
    if not extra:
        return maker
    return replace(maker, tags=[*(getattr(maker, "tags", None) or []), *extra])


def make_calc_job(
    maker: Maker,
    structure: Any,
    label: str = "",
    *,
    prev_dir: str | Path | None = None,
) -> Job | Flow:
    """Return the job of a relax/static slot for ``structure``, whoever made the Maker.

    Our Makers get ``label`` (it goes into their document). Any other Maker is called with
    atomate2's contract ``make(structure, prev_dir=...)``; the label goes into the job's
    ``metadata["label"]`` and, for atomate2's ASE/force-field Makers, into the document's
    ``tags`` with the model (callers name the job with ``append_name``). Consumers read its
    output with :func:`as_calc_doc`. A foreign job has no cache key of ours, so it reruns.

    Parameters
    ----------
    maker
        Our AseRelaxMaker/AseStaticMaker or an atomate2 Maker (ForceFieldRelaxMaker,
        ForceFieldStaticMaker, VASP RelaxMaker/StaticMaker, ...).
    structure
        Structure or an output reference to one.
    label
        Human-readable label of the calculation.
    prev_dir
        Directory of a previous calculation (atomate2's VASP Makers copy WAVECAR/CHGCAR from
        it); ``None`` for none. Our Makers ignore it.

    Returns
    -------
    Job or Flow
    """
    if is_lithiophilic_maker(maker):
        return maker.make(structure, label=label, prev_dir=prev_dir)
    maker = _tagged(maker, label)
    made = maker.make(structure, prev_dir=prev_dir)
    if label:
        made.update_metadata({"label": label})
    logger.debug("%s: %s job from %s", label, made.name, type(maker).__name__)
    return made
