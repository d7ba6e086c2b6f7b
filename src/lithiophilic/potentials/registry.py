"""Calculator registry: a serialisable :class:`CalculatorSpec` in, a live ASE calculator out.

Makers store a :class:`CalculatorSpec` (a name and keyword arguments), never a live
calculator; the job builds the calculator with :func:`get_calculator` when it runs, so a
flow can be serialised, stored and run in another process or on a cluster.

Backends are registered by name in :data:`REGISTRY` (an explicit dict: models are never
guessed from their names).  Users add their own with :func:`register_calculator`, or point
the ``"python"`` backend at any importable factory (``module:function``) that returns an
ASE calculator.

A backend declares what it can do in :attr:`CalculatorBackend.capabilities` (names in
:data:`CAPABILITIES`); code that needs a capability asks :func:`calculators_with` instead of
listing backend names, so a new backend needs no edit there.  A backend that declares
``"pdos"`` provides the computation itself as :attr:`CalculatorBackend.pdos_runner`
(:class:`PdosRunner`), or, with :attr:`CalculatorBackend.native_makers` (VASP), as workflow
Makers of its own.
"""

from __future__ import annotations

import contextvars
import hashlib
import importlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any, Literal, Protocol

from monty.json import MSONable

from lithiophilic.errors import CalculatorUnavailableError, ConfigurationError

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    from ase import Atoms
    from ase.calculators.calculator import Calculator

__all__ = [
    "CAPABILITIES",
    "REGISTRY",
    "CalculatorBackend",
    "CalculatorDeferred",
    "CalculatorSpec",
    "PdosRunner",
    "available_calculators",
    "calculator_provenance",
    "calculators_with",
    "check_elements",
    "check_installation",
    "clear_calculator_cache",
    "defer_calculators",
    "deferred_here",
    "ensure_available",
    "get_calculator",
    "register_calculator",
]

logger = logging.getLogger(__name__)

#: Name of the calculator used when none is given.
DEFAULT_CALCULATOR = "sevenn"

#: What a backend may declare it can do: ``pdos`` (electrons: an l-projected DOS through its
#: :attr:`CalculatorBackend.pdos_runner`), ``stress`` (the stress tensor, for cell
#: relaxations), ``spin`` (spin-polarised calculations).
CAPABILITIES: frozenset[str] = frozenset({"pdos", "stress", "spin"})


class PdosRunner(Protocol):
    """The PDOS computation of a backend that declares ``"pdos"``.

    Called with the structure and the effective calculator settings
    (:meth:`CalculatorSpec.settings`); returns ``(results, arrays)``.  ``results`` holds
    ``energy_ev``, ``fermi_level_ev`` (absolute), ``scf_kpts``, ``dos_kpts``, ``dos_run``
    (``"scf"`` or ``"fixed-density"``), ``dos_converged_up_to_ev`` (relative to E_F),
    ``spinpol``, ``nprocs`` (ranks used) and optionally ``sphere_radius_a`` (element -> Å);
    ``arrays`` holds ``energies_ev`` (relative to E_F), ``total_dos`` (states/eV/cell,
    spin-summed) and ``pdos`` of shape (n_atoms, 3, n_points) for l = s, p, d (states/eV).
    """

    def __call__(
        self,
        atoms: Atoms,
        *,
        settings: Mapping[str, Any],
        dos_kpt_density_a: float,
        width_ev: float,
        energy_window_ev: tuple[float, float],
        n_points: int,
        directory: str | Path,
    ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Run the SCF and the DOS of ``atoms``; return ``(results, arrays)``."""
        ...


@dataclass
class CalculatorSpec(MSONable):
    """A serialisable description of a calculator: registry name plus keyword arguments.

    Parameters
    ----------
    name
        Key in :data:`REGISTRY` (``"sevenn"``, ``"chgnet"``, ``"emt"``, ``"python"``, ...).
    kwargs
        Keyword arguments passed to the backend's factory (e.g. ``{"model": "7net-0"}``).
        Must be JSON-serialisable.
    """

    name: str = DEFAULT_CALCULATOR
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.name not in REGISTRY:
            msg = (
                f"calculator: unknown name {self.name!r}; registered calculators are "
                f"{sorted(REGISTRY)}"
            )
            raise ConfigurationError(msg)
        presets = REGISTRY[self.name].presets
        preset = self.kwargs.get("preset")
        if preset is not None and preset not in presets:
            msg = (
                f"calculator {self.name!r}: unknown preset {preset!r}; "
                f"presets are {sorted(presets) or 'none'}"
            )
            raise ConfigurationError(msg)
        try:
            json.dumps(self.kwargs, sort_keys=True)
        except TypeError as exc:
            msg = f"calculator kwargs must be JSON-serialisable, got {self.kwargs!r} ({exc})"
            raise ConfigurationError(msg) from exc

    def as_dict(self) -> dict[str, Any]:
        """Return the MSONable dict (explicit: monty treats a ``kwargs`` attribute specially)."""
        return {
            "@module": type(self).__module__,
            "@class": type(self).__name__,
            "name": self.name,
            "kwargs": dict(self.kwargs),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CalculatorSpec:
        """Rebuild a spec from :meth:`as_dict` output."""
        return cls(name=d["name"], kwargs=dict(d.get("kwargs", {})))

    @property
    def backend(self) -> CalculatorBackend:
        """Registered backend of this spec."""
        return REGISTRY[self.name]

    def settings(self) -> dict[str, Any]:
        """Return the effective settings: backend defaults, then the preset's values, then ``kwargs``."""
        backend = self.backend
        merged = {**backend.default_kwargs, **self.kwargs}
        preset = backend.presets.get(str(merged.get("preset")), {})
        return {**backend.default_kwargs, **preset, **self.kwargs}

    def key(self) -> str:
        """Return a short hash identifying name, package version and settings."""
        prov = calculator_provenance(self)
        settings = {k: v for k, v in prov["settings"].items() if k not in self.backend.runtime_keys}
        extras = self.backend.key_extras(settings) if self.backend.key_extras else {}
        if extras:  # only then: every other key stays what it was
            settings = {**settings, **extras}
        blob = json.dumps(
            [prov["calculator_name"], prov["calculator_version"], settings],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class CalculatorBackend:
    """One registered calculator backend.

    Parameters
    ----------
    name
        Registry key.
    factory
        Callable taking the spec's keyword arguments and returning an ASE calculator.
    package
        Distribution name whose version is recorded as provenance.
    kind
        ``"mlip"``, ``"dft"``, ``"classical"`` or ``"user"``.
    description
        One line shown by ``lithiophilic calculators``.
    default_kwargs
        Settings applied when the spec does not give them (recorded in provenance).
    elements
        Elements the model is valid for; ``None`` means no restriction is known.
    model_key
        Name of the setting that identifies the model (for provenance), if any.
    cacheable
        Whether one live instance may be reused within a process for the same settings
        (True for stateless ML potentials whose model load is expensive): every job, and
        every stage of a campaign run in one process, then shares one model load;
        :func:`get_calculator` clears the instance's results before handing it out again.
    install_hint
        What to install when the package is missing.
    module
        Importable module whose presence :func:`ensure_available` checks without building the
        calculator (``None``: the factory's own module is enough).
    elements_from_settings
        For backends whose valid elements depend on the settings (a LAMMPS potential, a
        fitted model): a function of the effective settings returning those elements.
    presets
        Named groups of settings selected with the ``preset`` setting (e.g. DFT ``fast`` /
        ``accurate``); explicit ``kwargs`` override the preset's values.
    runtime_keys
        Settings that change how a calculation runs but not its result (MPI ranks, launcher,
        log file); left out of :meth:`CalculatorSpec.key`, so results are reused across them.
    capabilities
        What the backend can do, from :data:`CAPABILITIES` (``pdos``, ``stress``, ``spin``);
        see :func:`calculators_with`.
    pdos_runner
        The PDOS computation (:class:`PdosRunner`); required when ``capabilities`` holds
        ``"pdos"``.
    validate_settings
        Checks settings given by the user (a partial mapping) and raises
        :class:`~lithiophilic.errors.ConfigurationError` naming a bad one; ``None``: no check
        before the calculator is built.
    installation_check
        Checks, from the effective settings, what the backend needs beyond its module (data
        files, an MPI launcher) and raises
        :class:`~lithiophilic.errors.CalculatorUnavailableError`; run by
        :func:`check_installation`.
    native_makers
        The backend's relaxations, statics and PDOS run as its own workflow Makers (VASP:
        atomate2 jobs under custodian, :func:`lithiophilic.workflows.vasp.vasp_makers`), not
        through :attr:`factory`'s ASE calculator; it may declare ``"pdos"`` without a
        ``pdos_runner``.
    key_extras
        Identity that is not in the settings but must be in :meth:`CalculatorSpec.key` (a
        refitted model under the same name): a function of the effective settings returning
        entries added to the hashed settings; an empty result leaves the key as it was.

    Raises
    ------
    ConfigurationError
        For an unknown capability, or ``"pdos"`` declared without a ``pdos_runner``.
    """

    name: str
    factory: Callable[..., Calculator]
    package: str
    kind: Literal["mlip", "dft", "classical", "user"]
    description: str
    default_kwargs: dict[str, Any] = field(default_factory=dict)
    elements: frozenset[str] | None = None
    model_key: str | None = None
    cacheable: bool = False
    install_hint: str = ""
    module: str | None = None
    elements_from_settings: Callable[[dict[str, Any]], frozenset[str] | None] | None = None
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)
    runtime_keys: frozenset[str] = frozenset()
    capabilities: frozenset[str] = frozenset()
    pdos_runner: PdosRunner | None = None
    validate_settings: Callable[[Mapping[str, Any]], object] | None = None
    installation_check: Callable[[Mapping[str, Any]], object] | None = None
    native_makers: bool = False
    key_extras: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None

    def __post_init__(self) -> None:
        self.capabilities = frozenset(self.capabilities)
        unknown = sorted(self.capabilities - CAPABILITIES)
        if unknown:
            msg = (
                f"calculator {self.name!r}: unknown capability {unknown}; "
                f"capabilities are {sorted(CAPABILITIES)}"
            )
            raise ConfigurationError(msg)
        if "pdos" in self.capabilities and self.pdos_runner is None and not self.native_makers:
            msg = f"calculator {self.name!r} declares 'pdos' but gives no pdos_runner"
            raise ConfigurationError(msg)


REGISTRY: dict[str, CalculatorBackend] = {}
_CACHE: dict[str, Calculator] = {}


def register_calculator(backend: CalculatorBackend, *, overwrite: bool = False) -> None:
    """Add a backend to :data:`REGISTRY`.

    Parameters
    ----------
    backend
        The backend to register under ``backend.name``.
    overwrite
        Replace an existing backend of the same name.

    Raises
    ------
    ConfigurationError
        If the name is taken and ``overwrite`` is False.
    """
    if backend.name in REGISTRY and not overwrite:
        msg = f"calculator: {backend.name!r} is already registered (pass overwrite=True)"
        raise ConfigurationError(msg)
    REGISTRY[backend.name] = backend


def available_calculators() -> dict[str, str]:
    """Return registry names mapped to their one-line descriptions."""
    return {name: b.description for name, b in sorted(REGISTRY.items())}


def calculators_with(capability: str) -> list[str]:
    """Return the names of the registered backends that declare ``capability``, sorted.

    Raises
    ------
    ConfigurationError
        If ``capability`` is not one of :data:`CAPABILITIES`.
    """
    if capability not in CAPABILITIES:
        msg = f"capability: {capability!r} is not one of {sorted(CAPABILITIES)}"
        raise ConfigurationError(msg)
    return sorted(name for name, b in REGISTRY.items() if capability in b.capabilities)


def _package_version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def calculator_provenance(spec: CalculatorSpec) -> dict[str, Any]:
    """Return the provenance of a calculator spec (name, package, version, model, settings).

    Parameters
    ----------
    spec
        The calculator spec.

    Returns
    -------
    dict
        Keys ``calculator_name``, ``calculator_package``, ``calculator_version``,
        ``calculator_model`` and ``settings``.
    """
    backend = spec.backend
    settings = spec.settings()
    model = settings.get(backend.model_key) if backend.model_key else None
    return {
        "calculator_name": spec.name,
        "calculator_package": backend.package,
        "calculator_version": _package_version(backend.package),
        "calculator_model": None if model is None else str(model),
        "settings": settings,
    }


def check_elements(spec: CalculatorSpec, elements: Iterable[str]) -> None:
    """Raise if the calculator is not valid for some of ``elements``.

    Raises
    ------
    ConfigurationError
        Naming the unsupported elements and the ones the calculator covers.
    """
    allowed = spec.backend.elements
    if spec.backend.elements_from_settings is not None:
        allowed = spec.backend.elements_from_settings(spec.settings())
    if allowed is None:
        return
    bad = sorted(set(elements) - allowed)
    if bad:
        msg = (
            f"calculator {spec.name!r} is not valid for element(s) {bad}; "
            f"it covers {sorted(allowed)}"
        )
        raise ConfigurationError(msg)


class CalculatorDeferred(BaseException):
    """Raised by :func:`get_calculator` inside :func:`defer_calculators`: the job must compute.

    A ``BaseException``, so a job's own ``except Exception`` (recording a failed NEB, say)
    does not take it for a failure of the calculation.
    """


_DEFER_CALCULATORS: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "lithiophilic_defer_calculators", default=False
)


@contextmanager
def defer_calculators() -> Iterator[None]:
    """Inside, :func:`get_calculator` raises :class:`CalculatorDeferred` instead of building one.

    The parallel runner tries a job here first, in its own process: a job whose result is
    stored (reused by cache key) finishes without a worker process or a model load, and a
    job that needs a calculator stops before computing anything and goes to a worker.
    """
    token = _DEFER_CALCULATORS.set(True)
    try:
        yield
    finally:
        _DEFER_CALCULATORS.reset(token)


def deferred_here(name: str) -> None:
    """Raise :class:`CalculatorDeferred` inside :func:`defer_calculators`; else do nothing.

    For a job that computes without :func:`get_calculator` (LAMMPS MD through the ``lammps``
    module or ``mpirun``): called after its reuse look-up and before it computes, so the
    parallel runner sends it to a worker like any job that asks for a calculator.
    """
    if _DEFER_CALCULATORS.get():
        raise CalculatorDeferred(name)


def get_calculator(spec: CalculatorSpec | str | Mapping[str, Any]) -> Calculator:
    """Build (or reuse) the live ASE calculator described by ``spec``.

    Parameters
    ----------
    spec
        A :class:`CalculatorSpec`, a registry name, or a dict with ``name`` and ``kwargs``.

    Returns
    -------
    ase.calculators.calculator.Calculator
        A calculator ready to attach to ``Atoms``. A ``cacheable`` backend's instance is
        built once per process and settings (name, model, device ...) and reused, its
        results and last structure cleared (``Calculator.reset``) each time it is handed
        out, so nothing computed for one job is read by the next.

    Raises
    ------
    CalculatorUnavailableError
        If the backend's package is not installed (the message says what to install).
    CalculatorDeferred
        Inside :func:`defer_calculators`.
    """
    spec = as_spec(spec)
    deferred_here(spec.name)
    backend = spec.backend
    settings = spec.settings()
    cache_key = json.dumps([spec.name, settings], sort_keys=True, default=str)
    if backend.cacheable and cache_key in _CACHE:
        cached = _CACHE[cache_key]
        cached.reset()
        return cached
    try:
        calc = backend.factory(**settings)
    except ImportError as exc:
        msg = (
            f"calculator {spec.name!r} needs the package {backend.package!r}, which is not "
            f"importable ({exc}). {backend.install_hint}"
        )
        raise CalculatorUnavailableError(msg) from exc
    logger.debug("built calculator %s with %s", spec.name, settings)
    if backend.cacheable:
        _CACHE[cache_key] = calc
    return calc


def clear_calculator_cache() -> int:
    """Drop the live calculators :func:`get_calculator` keeps; return how many there were.

    Frees their models' memory (once nothing else holds them); the next
    :func:`get_calculator` loads the model again.
    """
    n = len(_CACHE)
    _CACHE.clear()
    return n


def ensure_available(spec: CalculatorSpec | str | Mapping[str, Any]) -> None:
    """Check that the calculator's package is importable, without loading any model.

    Raises
    ------
    CalculatorUnavailableError
        If the backend's module cannot be found (the message says what to install).
    """
    import importlib.util

    spec = as_spec(spec)
    backend = spec.backend
    module = backend.module
    if spec.name == "python":
        module = str(spec.settings().get("factory", "")).partition(":")[0] or None
    if module is None:
        return
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        msg = (
            f"calculator {spec.name!r} needs the package {backend.package!r} (module {module!r}), "
            f"which is not installed. {backend.install_hint}"
        )
        raise CalculatorUnavailableError(msg)


def check_installation(spec: CalculatorSpec | str | Mapping[str, Any]) -> None:
    """Check that the calculator can run here: its package, then the backend's own check.

    Stronger than :func:`ensure_available`: a DFT backend also checks its data files and,
    for MPI runs, its launcher (:attr:`CalculatorBackend.installation_check`). No
    calculation is run.

    Raises
    ------
    CalculatorUnavailableError
        Naming what is missing and how to install it.
    """
    spec = as_spec(spec)
    ensure_available(spec)
    check = spec.backend.installation_check
    if check is not None:
        check(spec.settings())


def as_spec(spec: CalculatorSpec | str | Mapping[str, Any]) -> CalculatorSpec:
    """Coerce a name, dict or spec to a :class:`CalculatorSpec`."""
    if isinstance(spec, CalculatorSpec):
        return spec
    if isinstance(spec, str):
        return CalculatorSpec(name=spec)
    if isinstance(spec, Mapping):
        data = {k: v for k, v in spec.items() if not k.startswith("@")}
        return CalculatorSpec(
            name=data.get("name", DEFAULT_CALCULATOR), kwargs=dict(data.get("kwargs", {}))
        )
    msg = f"calculator: expected a name, a dict or a CalculatorSpec, got {type(spec).__name__}"
    raise ConfigurationError(msg)


def _python_factory(*, factory: str, **kwargs: Any) -> Calculator:
    """Import ``module:function`` and call it with ``kwargs``."""
    module_name, _, attr = factory.partition(":")
    if not module_name or not attr:
        msg = f"calculator 'python': factory must look like 'module:function', got {factory!r}"
        raise ConfigurationError(msg)
    module = importlib.import_module(module_name)
    try:
        func = getattr(module, attr)
    except AttributeError as exc:
        msg = f"calculator 'python': module {module_name!r} has no attribute {attr!r}"
        raise ConfigurationError(msg) from exc
    return func(**kwargs)


register_calculator(
    CalculatorBackend(
        name="python",
        factory=_python_factory,
        package="ase",
        kind="user",
        description="Any ASE calculator: kwargs={'factory': 'module:function', ...}",
        model_key="factory",
    )
)
