"""One interface to the fitted LAMMPS model families (POD and EAM).

:func:`fit_model` dispatches on the settings type (:class:`~lithiophilic.potentials.distill.pod.PodSettings`
or :class:`~lithiophilic.potentials.distill.eam.EamSettings`); :func:`load_fitted_potential` recognises a
fitted directory by its files.  Active learning (:mod:`lithiophilic.potentials.distill.active_learning`),
installation and the shipped-potential registry go through these two functions, so every family
is fitted, explored, validated and shipped the same way.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials.distill.eam import EAM_FILE, EamSettings, fit_eam, load_eam_potential
from lithiophilic.potentials.distill.pod import (
    PARAM_FILE,
    PodSettings,
    check_potential_loads,
    fit_pod,
    load_pod_potential,
)

if TYPE_CHECKING:
    from ase import Atoms

    from lithiophilic.potentials.lammps import LammpsPotential

__all__ = [
    "MODEL_FAMILIES",
    "ModelSettings",
    "fit_model",
    "install_potential",
    "load_fitted_potential",
    "model_settings",
    "model_settings_for",
]

ModelSettings = PodSettings | EamSettings

#: Model families of ``lithiophilic potentials fit --model``.
MODEL_FAMILIES: tuple[str, ...] = ("pod", "eam")


def model_settings(family: str, **kwargs: Any) -> ModelSettings:
    """Return the settings object of ``family`` (``"pod"`` or ``"eam"``) built from ``kwargs``.

    Raises
    ------
    ConfigurationError
        If ``family`` is not one of :data:`MODEL_FAMILIES`.
    """
    if family == "pod":
        return PodSettings(**kwargs)
    if family == "eam":
        return EamSettings(**kwargs)
    msg = f"model: unknown family {family!r}; allowed: {list(MODEL_FAMILIES)}"
    raise ConfigurationError(msg)


def model_settings_for(family: str, *, rcut_a: float = 5.0, body_order: int = 3) -> ModelSettings:
    """Return the settings of ``family`` from a cutoff and, for POD, the highest body order.

    Parameters
    ----------
    family
        ``"pod"`` or ``"eam"``.
    rcut_a
        Cutoff radius, Å.
    body_order
        POD only: 2 (pair terms), 3 (+ three-body, 5 radial functions) or 4 (+ four-body,
        4 radial functions, angular degree 2).

    Raises
    ------
    ConfigurationError
        If ``family`` is unknown or ``body_order`` is not 2, 3 or 4.
    """
    if family == "eam":
        return model_settings("eam", rcut_a=rcut_a)
    if family != "pod":
        return model_settings(family)  # raises, naming the allowed families
    if body_order not in (2, 3, 4):
        msg = f"--body-order must be 2, 3 or 4, got {body_order}"
        raise ConfigurationError(msg)
    return model_settings(
        "pod",
        rcut_a=rcut_a,
        threebody_nrbf=0 if body_order == 2 else 5,
        fourbody_nrbf=4 if body_order == 4 else 0,
        fourbody_angular_degree=2 if body_order == 4 else 0,
    )


def fit_model(
    train: Sequence[Atoms],
    out_dir: str | Path,
    *,
    elements: Sequence[str],
    settings: ModelSettings,
    provenance: dict[str, Any] | None = None,
) -> Path:
    """Fit the model family that ``settings`` belongs to; return ``out_dir``."""
    if isinstance(settings, EamSettings):
        return fit_eam(train, out_dir, elements=elements, settings=settings, provenance=provenance)
    return fit_pod(train, out_dir, elements=elements, settings=settings, provenance=provenance)


def load_fitted_potential(
    directory: str | Path,
    *,
    name: str,
    description: str = "",
    validated_for_science: bool = True,
) -> LammpsPotential:
    """Return the :class:`LammpsPotential` of a fitted directory (EAM setfl or POD files).

    Raises
    ------
    ConfigurationError
        If the directory holds neither an EAM nor a POD potential.
    """
    d = Path(directory)
    for marker, loader in ((EAM_FILE, load_eam_potential), (PARAM_FILE, load_pod_potential)):
        if (d / marker).is_file():
            return loader(
                d, name=name, description=description, validated_for_science=validated_for_science
            )
    msg = f"potential directory {d}: neither an EAM ({EAM_FILE}) nor a POD ({PARAM_FILE}) potential"
    raise ConfigurationError(msg)


def install_potential(src_dir: str | Path, dest_dir: str | Path) -> Path:
    """Move a fitted potential directory into ``dest_dir`` after checking it loads in LAMMPS.

    The check runs on ``src_dir``; ``dest_dir`` is replaced only if it passes (the previous
    content is kept as a backup until the move succeeds).

    Raises
    ------
    CalculationFailed
        If the potential does not load (``dest_dir`` is then untouched).
    """
    src, dest = Path(src_dir), Path(dest_dir)
    check_potential_loads(load_fitted_potential(src, name="candidate"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".install-", dir=dest.parent))
    shutil.rmtree(staging)
    shutil.copytree(src, staging)
    backup = dest.with_name(dest.name + ".bak")
    if dest.exists():
        if backup.exists():
            shutil.rmtree(backup)
        dest.rename(backup)
    staging.rename(dest)
    if backup.exists():
        shutil.rmtree(backup)
    return dest
