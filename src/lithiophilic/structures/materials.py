"""Named materials, composition parsing and :func:`make_bulk` for any element or solid solution.

``make_bulk`` accepts

* a named material of :data:`MATERIALS` ("Cu", "Cu5Zn8", "Cu0.64Zn0.36", "Li", "Zn"), also
  when written with another formula of the same composition ("Zn8Cu5", "Cu64Zn36");
* any other single element, built in its ASE reference structure;
* any other formula of two or more elements, built as a substitutional solid solution (SQS)
  on an fcc (default), bcc or hcp lattice, with the lattice constant from Vegard's law on the
  elements' reference volumes per atom.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures._sqs_cells import SUM_TOL
from lithiophilic.structures.bulk import GAMMA_BRASS_A_A, make_b2, make_gamma_brass
from lithiophilic.structures.sqs import IDEAL_C_OVER_A, make_sqs

if TYPE_CHECKING:
    from ase import Atoms

logger = logging.getLogger(__name__)

__all__ = [
    "MATERIALS",
    "MaterialSpec",
    "competing_phases",
    "lattice_constant_from_volume_a",
    "make_bulk",
    "parse_composition",
    "reference_volume_per_atom_a3",
    "vegard_lattice_constant_a",
]

_TOKEN = re.compile(r"([A-Z][a-z]?)(\d+(?:\.\d*)?|\.\d+)?")


@dataclass(frozen=True)
class MaterialSpec:
    """A named material of the registry.

    Parameters
    ----------
    name
        Registry key.
    kind
        "element" (one element, simple lattice), "ordered" (fixed crystal structure) or
        "solid_solution" (SQS).
    lattice
        "fcc", "bcc", "hcp" or "gamma-brass".
    composition
        Element fractions.
    a_a
        Lattice constant, Å (cubic edge; in-plane a for hcp).
    description
        One-line description with the source of the numbers.
    c_over_a
        hcp c/a, ``None`` otherwise.
    phase_diagram
        An equilibrium phase of its binary system: relaxed as a competing phase to bound the
        chemical-potential window of the system's other compounds (:func:`competing_phases`).
    match_composition
        Also found by another formula of the same composition; ``False``: by its name only
        (so e.g. "Cu0.5Zn0.5" stays an fcc SQS, not β-CuZn).
    n_atoms
        Atoms of the cell of a named solid solution (SQS), ``None``: the SQS default.
    """

    name: str
    kind: Literal["element", "ordered", "solid_solution"]
    lattice: str
    composition: dict[str, float] = field(default_factory=dict)
    a_a: float = 0.0
    description: str = ""
    c_over_a: float | None = None
    phase_diagram: bool = False
    match_composition: bool = True
    n_atoms: int | None = None


#: Named materials of the study (Wang et al., Energy Environ. Sci. 2025, 18, 2622).
MATERIALS: dict[str, MaterialSpec] = {
    "Cu": MaterialSpec(
        "Cu", "element", "fcc", {"Cu": 1.0}, 3.615, "fcc Cu, Fm-3m, a(exp) = 3.615 Å"
    ),
    "Cu5Zn8": MaterialSpec(
        "Cu5Zn8",
        "ordered",
        "gamma-brass",
        {"Cu": 5 / 13, "Zn": 8 / 13},
        GAMMA_BRASS_A_A,
        "gamma-brass Cu5Zn8, I-43m (No. 217), 52-atom cubic cell, a = 8.866 Å "
        "(Gourdon et al., Inorg. Chem. 2007, 46, 251)",
        phase_diagram=True,
    ),
    # competing phases of γ-brass: it exists between β-CuZn and ε-CuZn4 (Cu–Zn phase diagram)
    "CuZn": MaterialSpec(
        "CuZn",
        "ordered",
        "B2",
        {"Cu": 0.5, "Zn": 0.5},
        2.945,
        "beta'-brass CuZn, ordered B2 (CsCl-type, Pm-3m), a = 2.945 Å (room-temperature "
        "ordered beta'); the Cu-rich neighbour of gamma-brass",
        phase_diagram=True,
        match_composition=False,
    ),
    "CuZn4": MaterialSpec(
        "CuZn4",
        "solid_solution",
        "hcp",
        {"Cu": 0.2, "Zn": 0.8},
        2.742,
        "epsilon-brass CuZn4, a disordered hcp solid solution (P6_3/mmc, a = 2.742 Å, "
        "c = 4.294 Å) modelled as a 50-atom hcp SQS Cu0.2Zn0.8 (10 Cu); the Zn-rich neighbour "
        "of gamma-brass",
        c_over_a=1.566,
        phase_diagram=True,
        match_composition=False,
        n_atoms=50,
    ),
    "Cu0.64Zn0.36": MaterialSpec(
        "Cu0.64Zn0.36",
        "solid_solution",
        "fcc",
        {"Cu": 0.64, "Zn": 0.36},
        3.69,
        "alpha-brass Cu0.64Zn0.36, fcc random solid solution modelled as an SQS, a ≈ 3.69 Å",
    ),
    "Li": MaterialSpec("Li", "element", "bcc", {"Li": 1.0}, 3.51, "bcc Li, Im-3m, a = 3.51 Å"),
    "Zn": MaterialSpec(
        "Zn",
        "element",
        "hcp",
        {"Zn": 1.0},
        2.665,
        "hcp Zn, P6_3/mmc, a = 2.665 Å, c/a = 1.856 (experiment; ASE reference c/a)",
        c_over_a=1.856,
    ),
}


def parse_composition(formula: str) -> dict[str, float]:
    """Parse a formula into element fractions.

    Parameters
    ----------
    formula
        Fractional ("Cu0.64Zn0.36", fractions must sum to 1 within 1e-3 and are renormalised),
        integer ("Cu5Zn8", normalised) or a single element ("Cu"). A formula containing any
        decimal point is read as fractions.

    Returns
    -------
    dict of str to float
        Fractions summing to 1, in the order of the formula.

    Raises
    ------
    ConfigurationError
        For an unparsable formula, an unknown element, a repeated element, a zero amount, or
        fractions that do not sum to 1.
    """
    from ase.data import atomic_numbers

    if not isinstance(formula, str) or not formula.strip():
        msg = f"material {formula!r} is not a formula; expected e.g. 'Cu', 'Cu5Zn8', 'Cu0.64Zn0.36'"
        raise ConfigurationError(msg)
    text = formula.strip()
    tokens = list(_TOKEN.finditer(text))
    if not tokens or "".join(t.group(0) for t in tokens) != text:
        msg = (
            f"material {formula!r} is not a chemical formula; expected element symbols with "
            "optional amounts, e.g. 'Cu', 'Cu5Zn8', 'Cu0.64Zn0.36'"
        )
        raise ConfigurationError(msg)
    amounts: dict[str, float] = {}
    fractional = "." in text
    for token in tokens:
        symbol, number = token.group(1), token.group(2)
        if symbol not in atomic_numbers or symbol == "X":
            msg = f"material {formula!r}: {symbol!r} is not a chemical element symbol"
            raise ConfigurationError(msg)
        if symbol in amounts:
            msg = f"material {formula!r}: element {symbol} appears more than once"
            raise ConfigurationError(msg)
        value = 1.0 if number is None else float(number)
        if value <= 0:
            msg = f"material {formula!r}: amount of {symbol} is {value}, it must be > 0"
            raise ConfigurationError(msg)
        amounts[symbol] = value
    total = sum(amounts.values())
    if fractional and abs(total - 1.0) > SUM_TOL:
        msg = (
            f"material {formula!r}: fractions sum to {total:.6g}, not 1 (tolerance {SUM_TOL}); "
            "give fractions summing to 1 (Cu0.64Zn0.36) or integer amounts (Cu16Zn9)"
        )
        raise ConfigurationError(msg)
    return {k: v / total for k, v in amounts.items()}


def reference_volume_per_atom_a3(element: str) -> float:
    """Volume per atom (Å³) of an element in its ASE reference crystal structure.

    Raises
    ------
    ConfigurationError
        If ASE has no bulk reference structure for the element.
    """
    atoms = _reference_bulk(element, advice="pass a_a explicitly")
    return float(atoms.get_volume() / len(atoms))


def _reference_bulk(element: str, *, advice: str) -> Atoms:
    """Build ``element`` in ASE's reference structure, or raise naming what to pass instead."""
    from ase.build import bulk

    try:
        return bulk(element)
    # ASE raises these for elements without a usable reference crystal (e.g. molecular ones)
    except (ValueError, KeyError, RuntimeError, NotImplementedError) as exc:
        msg = f"material {element!r}: ASE cannot build its reference structure ({exc}); {advice}"
        raise ConfigurationError(msg) from exc


def lattice_constant_from_volume_a(
    volume_per_atom_a3: float, lattice: str, *, c_over_a: float | None = None
) -> float:
    """Lattice constant (Å) of an fcc, bcc or hcp lattice with the given volume per atom.

    Raises
    ------
    ConfigurationError
        If ``lattice`` is not fcc, bcc or hcp.
    """
    if lattice == "fcc":
        return float(np.cbrt(4.0 * volume_per_atom_a3))
    if lattice == "bcc":
        return float(np.cbrt(2.0 * volume_per_atom_a3))
    if lattice == "hcp":
        ca = IDEAL_C_OVER_A if c_over_a is None else c_over_a
        return float(np.cbrt(4.0 * volume_per_atom_a3 / (np.sqrt(3.0) * ca)))
    msg = f"lattice={lattice!r} is not supported; allowed: fcc, bcc, hcp"
    raise ConfigurationError(msg)


def vegard_lattice_constant_a(
    composition: Mapping[str, float], lattice: str, *, c_over_a: float | None = None
) -> float:
    """Lattice constant (Å) from Vegard's law on the elements' reference volumes per atom.

    The volume per atom of the alloy is ``sum_i x_i V_i`` (``V_i`` of the ASE reference
    structure of element ``i``), converted to ``lattice``.
    """
    volume = sum(x * reference_volume_per_atom_a3(el) for el, x in composition.items())
    return lattice_constant_from_volume_a(volume, lattice, c_over_a=c_over_a)


def competing_phases(elements: set[str] | frozenset[str] | list[str]) -> list[str]:
    """Return the catalogue's equilibrium compounds of a binary system (``phase_diagram``).

    For Cu–Zn: ``["Cu5Zn8", "CuZn", "CuZn4"]`` (γ, β, ε); the elements themselves are not
    listed. Empty for a system the catalogue has no phases of.
    """
    wanted = set(elements)
    return [
        name
        for name, spec in MATERIALS.items()
        if spec.phase_diagram and set(spec.composition) == wanted
    ]


def _named_list() -> str:
    return ", ".join(MATERIALS)


def _find_named(material: str, composition: Mapping[str, float] | None) -> MaterialSpec | None:
    if material in MATERIALS:
        return MATERIALS[material]
    if composition is None:
        return None
    for spec in MATERIALS.values():
        if not spec.match_composition:
            continue
        if set(spec.composition) == set(composition) and all(
            abs(spec.composition[k] - composition[k]) < 1e-6 for k in composition
        ):
            return spec
    return None


def _check_fixed_size(atoms: Atoms, n_atoms: int | None, material: str) -> None:
    if n_atoms is not None and n_atoms != len(atoms):
        msg = (
            f"n_atoms={n_atoms} applies only to solid solutions (SQS); {material} has a fixed "
            f"cell of {len(atoms)} atoms (pass n_atoms=None)"
        )
        raise ConfigurationError(msg)


def _make_element(
    element: str,
    *,
    lattice: str | None,
    a_a: float | None,
    c_over_a: float | None,
    volume_a3: float | None = None,
) -> tuple[Atoms, str, float | None]:
    """Build an element; ``volume_a3`` (per atom) sets ``a`` for a non-reference lattice."""
    from ase.build import bulk
    from ase.data import atomic_numbers, reference_states

    ref: dict[str, Any] = dict(reference_states[atomic_numbers[element]] or {})
    ref_lattice = ref.get("symmetry")
    if lattice is None or lattice == ref_lattice:
        if a_a is None:
            atoms = _reference_bulk(element, advice="pass lattice='fcc'/'bcc'/'hcp' and a_a")
            return atoms, str(ref_lattice), float(ref["a"]) if "a" in ref else None
        if ref_lattice not in ("fcc", "bcc", "hcp") and lattice is None:
            msg = (
                f"material {element!r}: a_a is only supported with lattice fcc, bcc or hcp "
                f"(reference structure is {ref_lattice}); pass lattice"
            )
            raise ConfigurationError(msg)
        lattice = lattice or str(ref_lattice)
    if lattice not in ("fcc", "bcc", "hcp"):
        msg = f"lattice={lattice!r} is not supported; allowed: fcc, bcc, hcp"
        raise ConfigurationError(msg)
    if lattice == "hcp" and c_over_a is None:
        c_over_a = float(ref["c/a"]) if ref_lattice == "hcp" else IDEAL_C_OVER_A
    if a_a is None:
        volume = reference_volume_per_atom_a3(element) if volume_a3 is None else volume_a3
        a_a = lattice_constant_from_volume_a(volume, lattice, c_over_a=c_over_a)
    if lattice == "hcp":
        ca = IDEAL_C_OVER_A if c_over_a is None else float(c_over_a)
        return bulk(element, "hcp", a=a_a, c=a_a * ca), lattice, a_a
    return bulk(element, lattice, a=a_a), lattice, a_a


def _reference_lattice(element: str) -> str | None:
    from ase.data import atomic_numbers, reference_states

    ref: dict[str, Any] = dict(reference_states[atomic_numbers[element]] or {})
    symmetry = ref.get("symmetry")
    return None if symmetry is None else str(symmetry)


def make_bulk(
    material: str,
    *,
    seed: int = 0,
    n_atoms: int | None = None,
    a_a: float | None = None,
    lattice: Literal["fcc", "bcc", "hcp"] | None = None,
    c_over_a: float | None = None,
) -> Atoms:
    """Build the bulk crystal of a named material, an element or any solid solution.

    Parameters
    ----------
    material
        A key of :data:`MATERIALS`, a formula with the same composition as one, an element
        symbol, or a solid-solution formula ("Cu0.7Al0.3", "Cu3Al"; see :func:`parse_composition`).
    seed
        SQS seed (solid solutions only).
    n_atoms
        SQS cell size (solid solutions only; default 50); must hold the composition exactly.
        For ordered crystals it must be ``None`` or the size of their cell.
    a_a
        Lattice constant, Å; ``None`` means the registry value, the ASE reference value (elements)
        or Vegard's law (solid solutions).
    lattice
        "fcc", "bcc" or "hcp" for elements and solid solutions (default: reference structure,
        fcc for solid solutions). Must match a named material's lattice.
    c_over_a
        hcp c/a (``None``: reference or ideal value).

    Returns
    -------
    ase.Atoms
        Primitive cell of elements, the 52-atom cell of Cu5Zn8, or an SQS. ``info``:
        ``material``, ``lattice``, ``composition``, ``description``, ``a_a``; SQS also ``sqs``
        (seed, supercell matrix and correlation report, see
        :func:`lithiophilic.structures.sqs.make_sqs`).

    Raises
    ------
    ConfigurationError
        For an unknown material that is not a valid formula (the message lists the named
        materials), an inconsistent lattice or size, or an inexact SQS size.
    """
    name, spec, composition = _resolve_material(material)
    if spec is not None and spec.kind != "element":
        return _make_named_compound(spec, seed=seed, n_atoms=n_atoms, a_a=a_a, lattice=lattice)
    if len(composition) == 1:
        return _make_element_bulk(
            next(iter(composition)),
            spec,
            n_atoms=n_atoms,
            a_a=a_a,
            lattice=lattice,
            c_over_a=c_over_a,
        )
    return _make_solid_solution(
        name,
        composition,
        seed=seed,
        n_atoms=n_atoms,
        a_a=a_a,
        lattice=lattice,
        c_over_a=c_over_a,
    )


def _resolve_material(material: str) -> tuple[str, MaterialSpec | None, dict[str, float]]:
    """Return the stripped name, the named material it denotes (or None) and its composition.

    Raises
    ------
    ConfigurationError
        If ``material`` is not a string or not a valid formula (the message lists the named
        materials).
    """
    if not isinstance(material, str):
        msg = f"material must be a string, got {material!r}; named materials: {_named_list()}"
        raise ConfigurationError(msg)
    name = material.strip()
    spec = _find_named(name, None)
    if spec is not None:
        return name, spec, dict(spec.composition)
    try:
        composition = parse_composition(name)
    except ConfigurationError as exc:
        msg = f"{exc}. Named materials: {_named_list()}"
        raise ConfigurationError(msg) from exc
    return name, _find_named(name, composition), composition


def _make_named_compound(
    spec: MaterialSpec,
    *,
    seed: int,
    n_atoms: int | None,
    a_a: float | None,
    lattice: str | None,
) -> Atoms:
    """Build a named ordered crystal (γ-brass) or named solid solution (SQS) of the registry."""
    if lattice is not None and lattice != spec.lattice:
        msg = f"lattice={lattice!r} conflicts with material {spec.name} ({spec.lattice})"
        raise ConfigurationError(msg)
    a_named = spec.a_a if a_a is None else float(a_a)
    if spec.kind == "ordered":
        if spec.lattice == "B2":
            atoms = make_b2(*spec.composition, a_a=a_named)
        else:
            atoms = make_gamma_brass(a_a=a_named)
        _check_fixed_size(atoms, n_atoms, spec.name)
    else:
        atoms = make_sqs(
            spec.composition,
            lattice=spec.lattice,  # type: ignore[arg-type]
            a_a=a_named,
            n_atoms=n_atoms if n_atoms is not None else spec.n_atoms,
            seed=seed,
            c_over_a=spec.c_over_a,
        )
    atoms.info.update(
        {
            "material": spec.name,
            "lattice": spec.lattice,
            "composition": dict(spec.composition),
            "description": spec.description
            if a_a is None
            else f"{spec.description}; here a = {a_named:.4f} Å (given)",
            "a_a": a_named,
        }
    )
    return atoms


def _make_element_bulk(
    element: str,
    spec: MaterialSpec | None,
    *,
    n_atoms: int | None,
    a_a: float | None,
    lattice: str | None,
    c_over_a: float | None,
) -> Atoms:
    """Build a single element and set its ``info``.

    A named element (``spec``) is built from its registry entry when ``lattice`` matches it,
    otherwise from ASE's reference data (keeping the registry's volume per atom).
    """
    if spec is not None and (lattice is None or lattice == spec.lattice):
        atoms, lat, a_use, description = _element_from_spec(
            element, spec, a_a=a_a, c_over_a=c_over_a
        )
    else:
        atoms, lat, a_use, description = _element_from_reference(
            element, spec, lattice=lattice, a_a=a_a, c_over_a=c_over_a
        )
    _check_fixed_size(atoms, n_atoms, element)
    atoms.info.update(
        {
            "material": element,
            "lattice": lat,
            "composition": {element: 1.0},
            "description": description,
            "a_a": None if a_use is None else float(a_use),
        }
    )
    return atoms


def _element_from_spec(
    element: str, spec: MaterialSpec, *, a_a: float | None, c_over_a: float | None
) -> tuple[Atoms, str, float | None, str]:
    """Build a named element in its registry lattice; returns (atoms, lattice, a, description)."""
    a_use: float | None = spec.a_a if a_a is None else float(a_a)
    ca = spec.c_over_a if c_over_a is None else c_over_a
    atoms, lat, a_use = _make_element(element, lattice=spec.lattice, a_a=a_use, c_over_a=ca)
    description = spec.description if a_a is None else f"{lat} {element}, a = {a_use:.4f} Å"
    return atoms, lat, a_use, description


def _element_from_reference(
    element: str,
    spec: MaterialSpec | None,
    *,
    lattice: str | None,
    a_a: float | None,
    c_over_a: float | None,
) -> tuple[Atoms, str, float | None, str]:
    """Build an element in ``lattice`` (default: its ASE reference structure).

    A named element (``spec``) keeps its registry volume per atom in another lattice.
    Returns (atoms, lattice, a in Å or None, description).
    """
    volume = None
    if spec is not None:
        ref = _make_element(element, lattice=spec.lattice, a_a=spec.a_a, c_over_a=spec.c_over_a)
        volume = ref[0].get_volume() / len(ref[0])
    atoms, lat, a_use = _make_element(
        element, lattice=lattice, a_a=a_a, c_over_a=c_over_a, volume_a3=volume
    )
    a_txt = f", a = {a_use:.4f} Å" if a_use is not None else ""
    if a_a is not None:
        source = "given a"
    elif volume is None and _reference_lattice(element) == lat:
        source = "ASE reference structure"
    else:
        source = "a from the reference volume per atom"
    return atoms, lat, a_use, f"{lat} {element} ({source}{a_txt})"


def _make_solid_solution(
    name: str,
    composition: Mapping[str, float],
    *,
    seed: int,
    n_atoms: int | None,
    a_a: float | None,
    lattice: Literal["fcc", "bcc", "hcp"] | None,
    c_over_a: float | None,
) -> Atoms:
    """Build an unnamed solid solution as an SQS, ``a`` from Vegard's law unless given."""
    lat = lattice or "fcc"
    if lat == "hcp" and c_over_a is None:
        c_over_a = IDEAL_C_OVER_A
    if a_a is None:
        a_use = vegard_lattice_constant_a(composition, lat, c_over_a=c_over_a)
        a_source = "Vegard's law on reference volumes"
    else:
        a_use, a_source = float(a_a), "given"
    atoms = make_sqs(
        composition, lattice=lat, a_a=a_use, n_atoms=n_atoms, seed=seed, c_over_a=c_over_a
    )
    formula = "".join(f"{el}{x:.4g}" for el, x in composition.items())
    atoms.info.update(
        {
            "material": name,
            "lattice": lat,
            "composition": {k: float(v) for k, v in composition.items()},
            "description": (
                f"{lat} solid solution {formula} as a {len(atoms)}-atom SQS (seed {seed}), "
                f"a = {a_use:.4f} Å ({a_source})"
            ),
            "a_a": a_use,
        }
    )
    logger.info("built %s: %s", name, atoms.info["description"])
    return atoms
