"""Projected-DOS analysis (Fig. 5b): per-element PDOS, DOS at E_F, d-band centre, plot, CSV.

Pure numerics on arrays: energies relative to E_F (eV) and an l-projected DOS per atom
(states/eV, spin-summed), as returned by :func:`lithiophilic.potentials.dft.gpaw.gpaw_pdos`.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from lithiophilic.analysis.figures import save_figure
from lithiophilic.errors import AnalysisError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "DOS_AT_FERMI_WINDOW_EV",
    "D_BAND_WINDOW_EV",
    "L_LABELS",
    "PDOS_DEFINITION",
    "complete_dos",
    "d_band_centre_ev",
    "dos_at_fermi",
    "dos_sum_rule",
    "element_pdos",
    "gaussian_broaden",
    "pdos_figure",
    "pdos_summary",
    "pdos_table_rows",
    "plot_pdos",
    "write_pdos_csv",
]

#: A 1-D grid or DOS: a sequence of floats or a NumPy array.
FloatArray: TypeAlias = Sequence[float] | np.ndarray

#: Angular momenta of the projections (index 0, 1, 2).
L_LABELS = ("s", "p", "d")
#: DOS at E_F is the mean of the broadened DOS over E_F ± this, eV.
DOS_AT_FERMI_WINDOW_EV = 0.1
#: Energy window (relative to E_F, eV) of the d-band centre's first moment.
D_BAND_WINDOW_EV = (-10.0, 2.0)

PDOS_DEFINITION = (
    "PDOS: l-projected (s, p, d) DOS of each atom = each state's charge of that l inside the "
    "atom's PAW augmentation sphere (all-electron partial waves, as VASP's LORBIT projections; "
    "the interstitial remainder of the total DOS is not assigned), spin-summed, "
    "Gaussian-broadened (exp(-(E-e)^2/w^2)/(sqrt(pi) w)), energies relative to E_F; per element = "
    "mean over the element's atoms (states/eV/atom). DOS at E_F = mean of the element's s+p+d PDOS "
    f"over E_F +/- {DOS_AT_FERMI_WINDOW_EV} eV (states/eV/atom). d-band centre = first moment "
    f"int E rho_d dE / int rho_d dE over E - E_F in [{D_BAND_WINDOW_EV[0]}, {D_BAND_WINDOW_EV[1]}] eV."
)


def _check_grid(energies_ev: np.ndarray, values: np.ndarray) -> None:
    if energies_ev.ndim != 1 or len(energies_ev) < 3:
        msg = f"energies_ev must be a 1-D grid of >= 3 points, got shape {energies_ev.shape}"
        raise AnalysisError(msg)
    if values.shape[-1] != len(energies_ev):
        msg = (
            f"DOS array last axis ({values.shape[-1]}) does not match the grid ({len(energies_ev)})"
        )
        raise AnalysisError(msg)
    if np.any(np.diff(energies_ev) <= 0):
        msg = "energies_ev must increase strictly"
        raise AnalysisError(msg)


def gaussian_broaden(energies_ev: FloatArray, dos: FloatArray, width_ev: float) -> np.ndarray:
    """Convolve a DOS on a uniform grid with exp(-x²/w²)/(√π w) (extra broadening, eV).

    Raises
    ------
    AnalysisError
        If the grid is not uniform or ``width_ev`` is not positive.
    """
    e = np.asarray(energies_ev, dtype=float)
    d = np.asarray(dos, dtype=float)
    _check_grid(e, d)
    if not width_ev > 0:
        msg = f"width_ev must be > 0, got {width_ev}"
        raise AnalysisError(msg)
    step = np.diff(e)
    if not np.allclose(step, step[0], rtol=1e-6):
        msg = "gaussian_broaden needs a uniform energy grid"
        raise AnalysisError(msg)
    n = int(np.ceil(4 * width_ev / step[0]))
    x = np.arange(-n, n + 1) * step[0]
    kernel = np.exp(-((x / width_ev) ** 2)) / (np.sqrt(np.pi) * width_ev) * step[0]
    return np.convolve(d, kernel, mode="same")


def dos_at_fermi(
    energies_ev: FloatArray, dos: FloatArray, *, window_ev: float = DOS_AT_FERMI_WINDOW_EV
) -> float:
    """Return the mean DOS over E_F ± ``window_ev`` (energies relative to E_F), same unit as ``dos``.

    Raises
    ------
    AnalysisError
        If the grid does not cover the window.
    """
    e = np.asarray(energies_ev, dtype=float)
    d = np.asarray(dos, dtype=float)
    _check_grid(e, d)
    if e[0] > -window_ev or e[-1] < window_ev:
        msg = f"energy grid [{e[0]}, {e[-1]}] eV does not cover E_F ± {window_ev} eV"
        raise AnalysisError(msg)
    mask = (e >= -window_ev) & (e <= window_ev)
    return float(np.trapezoid(d[mask], e[mask]) / (e[mask][-1] - e[mask][0]))


def d_band_centre_ev(
    energies_ev: FloatArray,
    d_dos: FloatArray,
    *,
    window_ev: tuple[float, float] = D_BAND_WINDOW_EV,
) -> float:
    """Return the d-band centre ε_d = ∫E ρ_d dE / ∫ρ_d dE over ``window_ev`` (relative to E_F), eV.

    Raises
    ------
    AnalysisError
        If there is no d weight in the window.
    """
    e = np.asarray(energies_ev, dtype=float)
    d = np.asarray(d_dos, dtype=float)
    _check_grid(e, d)
    mask = (e >= window_ev[0]) & (e <= window_ev[1])
    weight = float(np.trapezoid(d[mask], e[mask])) if mask.sum() > 1 else 0.0
    if not weight > 1e-8:
        msg = f"no d states in the window {window_ev} eV; the d-band centre is undefined"
        raise AnalysisError(msg)
    return float(np.trapezoid(e[mask] * d[mask], e[mask]) / weight)


def element_pdos(pdos: np.ndarray, symbols: Sequence[str]) -> dict[str, np.ndarray]:
    """Return element → (3, n_points) array: the s, p, d PDOS averaged over that element's atoms.

    Parameters
    ----------
    pdos
        Per-atom PDOS, shape (n_atoms, 3, n_points), states/eV.
    symbols
        Chemical symbol of each atom.

    Returns
    -------
    dict
        states/eV/atom for each element (in order of first appearance).
    """
    arr = np.asarray(pdos, dtype=float)
    if arr.ndim != 3 or arr.shape[0] != len(symbols) or arr.shape[1] != len(L_LABELS):
        msg = f"pdos must have shape (n_atoms={len(symbols)}, 3, n_points), got {arr.shape}"
        raise AnalysisError(msg)
    out: dict[str, np.ndarray] = {}
    for el in dict.fromkeys(symbols):
        idx = [i for i, s in enumerate(symbols) if s == el]
        out[el] = arr[idx].mean(axis=0)
    return out


def pdos_summary(
    energies_ev: FloatArray, pdos: np.ndarray, symbols: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Return per element: DOS at E_F (total and per l), d-band centre, number of atoms.

    Returns
    -------
    dict
        element → ``n_atoms``, ``dos_at_fermi_states_per_ev_atom`` (s+p+d),
        ``dos_at_fermi_by_l_states_per_ev_atom`` (s, p, d), ``d_band_centre_ev``
        (None if no d projector), ``d_band_width_ev`` (second-moment width, None likewise).
    """
    e = np.asarray(energies_ev, dtype=float)
    out: dict[str, dict[str, Any]] = {}
    for el, arr in element_pdos(pdos, symbols).items():
        by_l = {lab: dos_at_fermi(e, arr[i]) for i, lab in enumerate(L_LABELS)}
        centre: float | None
        width: float | None
        try:
            centre = d_band_centre_ev(e, arr[2])
            mask = (e >= D_BAND_WINDOW_EV[0]) & (e <= D_BAND_WINDOW_EV[1])
            w = np.trapezoid(arr[2][mask], e[mask])
            width = float(
                np.sqrt(np.trapezoid((e[mask] - centre) ** 2 * arr[2][mask], e[mask]) / w)
            )
        except AnalysisError:
            centre = width = None
        out[el] = {
            "n_atoms": sum(1 for s in symbols if s == el),
            "dos_at_fermi_states_per_ev_atom": float(sum(by_l.values())),
            "dos_at_fermi_by_l_states_per_ev_atom": by_l,
            "d_band_centre_ev": centre,
            "d_band_width_ev": width,
        }
    return out


def pdos_table_rows(docs: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return one row per material and element from PDOS documents (Fig. 5b's table).

    Parameters
    ----------
    docs
        Material label -> PDOS document (``elements`` as :func:`pdos_summary` returns them,
        and ``calculator_name``).

    Returns
    -------
    list of dict
        ``material``, ``element``, ``n_atoms``, ``dos_at_fermi_states_per_ev_atom``,
        ``dos_at_fermi_s`` / ``_p`` / ``_d`` (states/eV/atom), ``d_band_centre_ev``,
        ``d_band_width_ev`` (None without a d projector) and ``calculator``.
    """
    rows = []
    for material, doc in docs.items():
        for el, e in doc["elements"].items():
            by_l = e["dos_at_fermi_by_l_states_per_ev_atom"]
            rows.append(
                {
                    "material": material,
                    "element": el,
                    "n_atoms": e["n_atoms"],
                    "dos_at_fermi_states_per_ev_atom": e["dos_at_fermi_states_per_ev_atom"],
                    "dos_at_fermi_s": by_l["s"],
                    "dos_at_fermi_p": by_l["p"],
                    "dos_at_fermi_d": by_l["d"],
                    "d_band_centre_ev": e["d_band_centre_ev"],
                    "d_band_width_ev": e["d_band_width_ev"],
                    "calculator": doc["calculator_name"],
                }
            )
    return rows


def write_pdos_csv(rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """Write one row per material and element (DOS at E_F, d-band centre) as CSV."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = [
        "material",
        "element",
        "n_atoms",
        "dos_at_fermi_states_per_ev_atom",
        "dos_at_fermi_s",
        "dos_at_fermi_p",
        "dos_at_fermi_d",
        "d_band_centre_ev",
        "d_band_width_ev",
        "calculator",
    ]
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        for r in rows:
            writer.writerow({c: r.get(c) for c in cols})
    return path


#: Colours of the element projections in :func:`plot_pdos`.
_COLOURS = {"Cu": "tab:orange", "Zn": "tab:blue", "Li": "tab:green"}


def pdos_figure(
    data: Mapping[str, Mapping[str, Any]],
    *,
    elements: Sequence[str] | None = None,
    energy_range_ev: tuple[float, float] = (-8.0, 3.0),
) -> Figure:
    """Draw Fig. 5b: one panel per material, element PDOS (states/eV/atom) vs E − E_F.

    Parameters
    ----------
    data
        material → ``{"energies_ev": [...], "element_pdos": {el: [[s], [p], [d]]}}`` and
        optionally ``converged_up_to_ev`` (the x-axis stops there).
    elements
        Elements to draw (those absent from a material are skipped); ``None``: every
        element of the data, in order of first appearance. Total s+p+d solid, d dashed.
    energy_range_ev
        x-axis range, eV.

    Raises
    ------
    AnalysisError
        If ``data`` is empty.
    """
    from lithiophilic.analysis.binding import _pyplot

    plt = _pyplot()
    if not data:
        msg = "plot_pdos: no materials to plot"
        raise AnalysisError(msg)
    if elements is None:
        elements = list(dict.fromkeys(el for d in data.values() for el in d["element_pdos"]))
    from matplotlib.colors import to_hex

    fixed = {to_hex(c) for c in _COLOURS.values()}
    spare = (c for c in plt.rcParams["axes.prop_cycle"].by_key()["color"] if to_hex(c) not in fixed)
    colours = {el: _COLOURS.get(el) or next(spare, None) for el in elements}
    n = len(data)
    fig, axes = plt.subplots(n, 1, figsize=(5.0, 2.2 * n + 0.6), sharex=True, squeeze=False)
    for ax, (material, d) in zip(axes[:, 0], data.items(), strict=True):
        e = np.asarray(d["energies_ev"], dtype=float)
        for el in elements:
            if el not in d["element_pdos"]:
                continue
            arr = np.asarray(d["element_pdos"][el], dtype=float)
            colour = colours[el]
            ax.plot(e, arr.sum(axis=0), color=colour, lw=1.2, label=f"{el} (s+p+d)")
            ax.plot(e, arr[2], color=colour, lw=0.8, ls="--", label=f"{el} d")
        ax.axvline(0.0, color="k", lw=0.6, ls=":")
        top = min(energy_range_ev[1], float(d.get("converged_up_to_ev", np.inf)))
        ax.set_xlim(energy_range_ev[0], top)  # no unconverged bands on the plot
        ax.set_ylim(bottom=0)
        ax.set_ylabel("PDOS (states/eV/atom)", fontsize=8)
        ax.set_title(material, fontsize=9, loc="left")
        ax.legend(fontsize=7, frameon=False)
    axes[-1, 0].set_xlabel("E − E$_F$ (eV)")
    fig.tight_layout()
    return fig


def plot_pdos(
    data: Mapping[str, Mapping[str, Any]],
    path: str | Path,
    *,
    elements: Sequence[str] | None = None,
    energy_range_ev: tuple[float, float] = (-8.0, 3.0),
) -> Path:
    """Write :func:`pdos_figure` to ``path`` (.png, .pdf or .svg); return ``path``."""
    return save_figure(pdos_figure(data, elements=elements, energy_range_ev=energy_range_ev), path)


def _doc_value(doc: Any, key: str) -> Any:
    value = doc.get(key) if isinstance(doc, Mapping) else getattr(doc, key)
    if isinstance(value, Mapping) and "blob_uuid" in value:
        msg = (
            f"{key}: the PDOS arrays are still in the data store; query the document with load=True"
        )
        raise AnalysisError(msg)
    return value


def complete_dos(doc: Any) -> Any:
    """Return the pymatgen ``CompleteDos`` of a stored PDOS document (``PdosDoc`` or its dict).

    Energies become absolute (``energies_ev + fermi_level_ev``, ``efermi`` = the SCF Fermi
    level), the total DOS (states/eV/cell) is the ``Dos``, and each atom's s, p, d PDOS
    (states/eV) is that site's ``OrbitalType`` projection, all as ``Spin.up`` (our PDOS is
    spin-summed). So ``get_site_spd_dos(site)`` is the stored ``atom_pdos`` row and
    ``get_element_dos()[el]`` the sum over the element's atoms (= ``n_atoms`` times the stored
    per-atom ``element_pdos``); the interstitial charge is in no projection (see
    :data:`PDOS_DEFINITION`).

    Raises
    ------
    AnalysisError
        If the arrays were not loaded from the data store or do not match the structure.
    """
    from pymatgen.core import Structure
    from pymatgen.electronic_structure.core import OrbitalType, Spin
    from pymatgen.electronic_structure.dos import CompleteDos, Dos

    structure = _doc_value(doc, "structure")
    if isinstance(structure, Mapping):
        structure = Structure.from_dict(structure)
    efermi = float(_doc_value(doc, "fermi_level_ev"))
    energies = np.asarray(_doc_value(doc, "energies_ev"), dtype=float) + efermi
    atom_pdos = np.asarray(_doc_value(doc, "atom_pdos"), dtype=float)
    if atom_pdos.shape != (len(structure), len(L_LABELS), len(energies)):
        msg = (
            f"atom_pdos: shape {atom_pdos.shape} does not match {len(structure)} sites x "
            f"{len(L_LABELS)} l-channels x {len(energies)} energies"
        )
        raise AnalysisError(msg)
    total = Dos(efermi, energies, {Spin.up: np.asarray(_doc_value(doc, "total_dos"), dtype=float)})
    orbitals = [OrbitalType.s, OrbitalType.p, OrbitalType.d]
    pdoss = {
        site: {orb: {Spin.up: atom_pdos[i, j]} for j, orb in enumerate(orbitals)}
        for i, site in enumerate(structure)
    }
    return CompleteDos(structure, total, pdoss)


def dos_sum_rule(
    energies_ev: FloatArray,
    total_dos: FloatArray,
    element_pdos_per_atom: Mapping[str, Any],
    counts: Mapping[str, int],
    *,
    window_ev: float = DOS_AT_FERMI_WINDOW_EV,
) -> dict[str, float | None]:
    """Set the total DOS at E_F beside the sum of the sphere projections (s + p + d, all atoms).

    Both are per atom of the cell and taken the same way as the element values (mean over
    E_F ± ``window_ev``, same grid, same broadening). ``sphere_to_total_ratio`` < 1 is the
    share of the states at E_F the augmentation spheres miss (interstitial charge);
    > 1 would mean overlapping spheres count states twice.

    Parameters
    ----------
    energies_ev
        Energy grid relative to E_F, eV.
    total_dos
        Total DOS of the cell, states/eV/cell (spin-summed).
    element_pdos_per_atom
        Element -> [s, p, d] PDOS per atom of that element, states/eV/atom.
    counts
        Atoms per element in the cell.
    window_ev
        Half-width of the E_F window, eV.

    Returns
    -------
    dict
        ``total_dos_at_fermi_states_per_ev_atom``, ``sphere_sum_dos_at_fermi_states_per_ev_atom``
        and ``sphere_to_total_ratio`` (None when the total DOS at E_F is zero).

    Raises
    ------
    AnalysisError
        If an element of ``counts`` has no PDOS or the grid does not cover the window.
    """
    missing = sorted(set(counts) - set(element_pdos_per_atom))
    if missing:
        msg = f"no PDOS for elements {missing}"
        raise AnalysisError(msg)
    n_atoms = sum(int(n) for n in counts.values())
    if n_atoms <= 0:
        msg = f"counts {dict(counts)} hold no atoms"
        raise AnalysisError(msg)
    total = dos_at_fermi(energies_ev, total_dos, window_ev=window_ev) / n_atoms
    sphere_cell = 0.0
    for el, n in counts.items():
        spd = np.sum(np.asarray(element_pdos_per_atom[el], dtype=float), axis=0)
        sphere_cell += int(n) * dos_at_fermi(energies_ev, spd, window_ev=window_ev)
    sphere = sphere_cell / n_atoms
    return {
        "total_dos_at_fermi_states_per_ev_atom": float(total),
        "sphere_sum_dos_at_fermi_states_per_ev_atom": float(sphere),
        "sphere_to_total_ratio": float(sphere / total) if total > 0 else None,
    }
