"""Ultra-fast (UF3) 2+3-body B-spline terms: basis, linear features, LAMMPS ``pair_style uf3`` files.

A UF3 potential is linear in its coefficients (Xie et al., npj Comput. Mater. 9, 87 (2023)):

    E = Σ_{i<j} Σ_a c_a B_a(r_ij)  +  Σ_i Σ_{j<k} Σ_{abc} c_abc B_a(r_ij) B_b(r_ik) B_c(r_jk)

with cubic B-splines ``B`` on uniform knots (the last three coefficients of every direction
are zero, so each term goes smoothly to zero at its cutoff).  :func:`uf3_features` returns
the energy and force features of a structure, so a fit is a linear least-squares problem;
:func:`write_uf3_file` writes the same coefficients in the unified file format LAMMPS reads
(``pair_style uf3 3``, ML-UF3 package); the energy convention of LAMMPS is checked against
:func:`uf3_features` in ``tests/potentials/test_li_correction.py``.

Only the interactions given as :class:`Uf3Term` carry coefficients; every other element pair
or triple LAMMPS requires is written as a zero block with a 0.5 Å cutoff.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lithiophilic.errors import ConfigurationError

if TYPE_CHECKING:
    from ase import Atoms

__all__ = ["Uf3Basis", "Uf3Term", "uf3_features", "write_uf3_file"]

#: Cutoff (Å) of the zero blocks LAMMPS needs for interactions without coefficients.
ZERO_BLOCK_CUTOFF_A = 0.5
#: B-spline degree (UF3 uses cubic splines only).
DEGREE = 3
#: Trailing coefficients held at zero in every direction (smooth decay to the cutoff).
TRAILING_TRIM = 3


@dataclass(frozen=True)
class Uf3Basis:
    """Uniform cubic B-spline basis on ``[0, cutoff_a]`` with knot spacing ``spacing_a``.

    Parameters
    ----------
    cutoff_a
        Outer end of the basis, Å (a multiple of ``spacing_a``).
    spacing_a
        Knot spacing, Å.
    min_a
        Basis functions whose support lies wholly below ``min_a`` are held at zero (no data
        reaches there; the base potential's repulsive core is left alone).
    """

    cutoff_a: float
    spacing_a: float
    min_a: float = 0.0

    def __post_init__(self) -> None:
        m = self.cutoff_a / self.spacing_a
        if self.spacing_a <= 0 or abs(m - round(m)) > 1e-9 or round(m) < 1:
            msg = (
                f"uf3 basis: cutoff_a ({self.cutoff_a}) must be a positive multiple of "
                f"spacing_a ({self.spacing_a})"
            )
            raise ConfigurationError(msg)

    @cached_property
    def knots(self) -> np.ndarray:
        """Knot vector (first and last knot repeated four times)."""
        m = round(self.cutoff_a / self.spacing_a)
        inner = self.spacing_a * np.arange(m + 1)
        return np.concatenate([[0.0] * DEGREE, inner, [self.cutoff_a] * DEGREE])

    @property
    def n_coeff(self) -> int:
        """Number of basis functions (knots − 4)."""
        return len(self.knots) - DEGREE - 1

    @cached_property
    def free(self) -> np.ndarray:
        """Indices of the fitted basis functions (support reaches ``min_a``, not trimmed)."""
        upper = self.knots[DEGREE + 1 : DEGREE + 1 + self.n_coeff]
        idx = np.arange(self.n_coeff)
        return idx[(upper > self.min_a) & (idx < self.n_coeff - TRAILING_TRIM)]

    def values(self, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``B(r)`` and ``dB/dr``, each of shape ``(len(r), n_coeff)`` (zero outside)."""
        from scipy.interpolate import BSpline

        r = np.asarray(r, dtype=float)
        spline = BSpline(self.knots, np.eye(self.n_coeff), DEGREE, extrapolate=False)
        b = np.nan_to_num(spline(r))
        db = np.nan_to_num(spline.derivative()(r))
        outside = (r < 0) | (r >= self.cutoff_a)
        b[outside], db[outside] = 0.0, 0.0
        return b, db


@dataclass(frozen=True)
class Uf3Term:
    """A 2-body (``elements`` of length 2) or 3-body (length 3, centre first) UF3 term.

    For a 3-body term ``(I, J, K)`` the energy is a sum over centres of element I and unordered
    neighbour pairs {j of J, k of K} of ``f(r_ij, r_ik, r_jk)``; ``bases`` are the bases along
    ``r_ij``, ``r_ik`` and ``r_jk`` (LAMMPS requires the ``r_ij`` and ``r_ik`` cutoffs equal and
    the ``r_jk`` cutoff twice as large).
    """

    elements: tuple[str, ...]
    bases: tuple[Uf3Basis, ...]

    def __post_init__(self) -> None:
        if len(self.elements) not in (2, 3) or len(self.bases) != len(self.elements) - (
            0 if len(self.elements) == 3 else 1
        ):
            msg = "uf3 term: 2 elements with 1 basis, or 3 elements with 3 bases"
            raise ConfigurationError(msg)
        if len(self.elements) == 3:
            bij, bik, bjk = self.bases
            if bij.cutoff_a != bik.cutoff_a or abs(bjk.cutoff_a - 2 * bij.cutoff_a) > 1e-9:
                msg = (
                    f"uf3 term {self.elements}: r_ij and r_ik cutoffs must be equal and the "
                    "r_jk cutoff twice as large (LAMMPS pair_style uf3)"
                )
                raise ConfigurationError(msg)
            if len(bjk.knots) < max(len(bij.knots), len(bik.knots)):
                msg = (
                    f"uf3 term {self.elements}: the r_jk basis needs at least as many knots as "
                    "r_ij and r_ik (LAMMPS sizes its buffers by it): spacing_jk <= 2 spacing_ij"
                )
                raise ConfigurationError(msg)

    @property
    def symmetric(self) -> bool:
        """Whether the two neighbours have the same element (coefficients symmetric in ij/ik)."""
        return len(self.elements) == 3 and self.elements[1] == self.elements[2]

    @property
    def cutoff_a(self) -> float:
        """Largest centre–neighbour distance the term sees, Å."""
        return self.bases[0].cutoff_a

    @cached_property
    def free_index(self) -> list[tuple[int, ...]]:
        """Fitted coefficient indices (for symmetric 3-body terms only ``a <= b``)."""
        if len(self.elements) == 2:
            return [(int(a),) for a in self.bases[0].free]
        bij, bik, bjk = self.bases
        out = []
        for a, b, c in itertools.product(bij.free, bik.free, bjk.free):
            if self.symmetric and a > b:
                continue
            out.append((int(a), int(b), int(c)))
        return out

    @property
    def n_free(self) -> int:
        """Number of fitted coefficients."""
        return len(self.free_index)

    def coefficient_array(self, free_values: np.ndarray) -> np.ndarray:
        """Return the full coefficient array from the fitted values (symmetrised, zero-padded)."""
        shape = tuple(b.n_coeff for b in self.bases)
        c = np.zeros(shape)
        for idx, v in zip(self.free_index, free_values, strict=True):
            c[idx] = v
            if self.symmetric:
                c[idx[1], idx[0], idx[2]] = v
        return c


def _pairs(atoms: Atoms, cutoff_a: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All ordered neighbour pairs ``(i, j, D_ij)`` within ``cutoff_a`` (minimum image + images)."""
    from ase.neighborlist import neighbor_list

    i, j, d = neighbor_list("ijD", atoms, cutoff_a)
    return i, j, d


def _two_body(
    term: Uf3Term, atoms: Atoms, sym: np.ndarray, ii: np.ndarray, jj: np.ndarray, dd: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    e1, e2 = term.elements
    basis = term.bases[0]
    r = np.linalg.norm(dd, axis=1)
    # LAMMPS sums phi over ordered pairs (i, j) of its full neighbour list: both orders count
    sel = ((sym[ii] == e1) & (sym[jj] == e2)) | ((sym[ii] == e2) & (sym[jj] == e1))
    sel &= r < basis.cutoff_a
    b, db = basis.values(r[sel])
    free = basis.free
    energy = b[:, free].sum(axis=0)
    forces = np.zeros((len(atoms), 3, len(free)))
    u = dd[sel] / r[sel, None]  # from i to j
    g = db[:, free]  # dE/dr per pair and feature; force = -dE/dr * dr/dx
    np.add.at(forces, ii[sel], u[:, :, None] * g[:, None, :])
    np.add.at(forces, jj[sel], -u[:, :, None] * g[:, None, :])
    return energy, forces


def _three_body(
    term: Uf3Term, atoms: Atoms, sym: np.ndarray, ii: np.ndarray, jj: np.ndarray, dd: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    ei, ej, ek = term.elements
    bij, bik, bjk = term.bases
    r = np.linalg.norm(dd, axis=1)
    idx = np.array(term.free_index)
    energy = np.zeros(len(idx))
    forces = np.zeros((len(atoms), 3, len(idx)))
    rows = []
    for centre in np.flatnonzero(sym == ei):
        nb = np.flatnonzero((ii == centre) & (r <= bij.cutoff_a))
        for p, q in itertools.combinations(nb, 2):
            for a, b in ((p, q), (q, p)):
                if sym[jj[a]] == ej and sym[jj[b]] == ek:
                    rows.append((a, b))
                    break  # an unordered pair of neighbours is counted once
    if not rows:
        return energy, forces
    a_idx, b_idx = np.array(rows).T
    dij, dik = dd[a_idx], dd[b_idx]
    djk = dik - dij
    rij, rik, rjk = r[a_idx], r[b_idx], np.linalg.norm(djk, axis=1)
    (vij, gij), (vik, gik), (vjk, gjk) = bij.values(rij), bik.values(rik), bjk.values(rjk)
    f_ij = vij[:, idx[:, 0]] * vik[:, idx[:, 1]] * vjk[:, idx[:, 2]]
    d_ij = gij[:, idx[:, 0]] * vik[:, idx[:, 1]] * vjk[:, idx[:, 2]]
    d_ik = vij[:, idx[:, 0]] * gik[:, idx[:, 1]] * vjk[:, idx[:, 2]]
    d_jk = vij[:, idx[:, 0]] * vik[:, idx[:, 1]] * gjk[:, idx[:, 2]]
    if term.symmetric:  # c[a,b,c] = c[b,a,c]: the feature of a < b is the symmetric sum
        off = idx[:, 0] != idx[:, 1]
        f_ji = vij[:, idx[:, 1]] * vik[:, idx[:, 0]] * vjk[:, idx[:, 2]]
        d_ij2 = gij[:, idx[:, 1]] * vik[:, idx[:, 0]] * vjk[:, idx[:, 2]]
        d_ik2 = vij[:, idx[:, 1]] * gik[:, idx[:, 0]] * vjk[:, idx[:, 2]]
        d_jk2 = vij[:, idx[:, 1]] * vik[:, idx[:, 0]] * gjk[:, idx[:, 2]]
        f_ij = f_ij + off * f_ji
        d_ij, d_ik, d_jk = d_ij + off * d_ij2, d_ik + off * d_ik2, d_jk + off * d_jk2
    energy = f_ij.sum(axis=0)
    uij, uik, ujk = dij / rij[:, None], dik / rik[:, None], djk / rjk[:, None]
    centre, j_at, k_at = ii[a_idx], jj[a_idx], jj[b_idx]
    # force features: -d(feature)/dx (dr_ij/dx_i = -u_ij, dr_ij/dx_j = u_ij, dr_jk/dx_k = u_jk)
    np.add.at(forces, centre, uij[:, :, None] * d_ij[:, None] + uik[:, :, None] * d_ik[:, None])
    np.add.at(forces, j_at, -uij[:, :, None] * d_ij[:, None] + ujk[:, :, None] * d_jk[:, None])
    np.add.at(forces, k_at, -uik[:, :, None] * d_ik[:, None] - ujk[:, :, None] * d_jk[:, None])
    return energy, forces


def uf3_features(atoms: Atoms, terms: Sequence[Uf3Term]) -> tuple[np.ndarray, np.ndarray]:
    """Return the energy features ``(n_free,)`` and force features ``(n_atoms, 3, n_free)``.

    ``E = features @ c`` and ``F = force_features @ c`` for the fitted coefficients ``c`` of
    all ``terms`` (concatenated in order), in LAMMPS's convention: a 2-body ``phi`` counts once
    per ordered pair (twice per bond), a 3-body ``f`` once per centre and neighbour pair.
    """
    cutoff = max(t.cutoff_a for t in terms)
    ii, jj, dd = _pairs(atoms, cutoff)
    sym = np.array(atoms.get_chemical_symbols())
    energies, forces = [], []
    for term in terms:
        fn = _two_body if len(term.elements) == 2 else _three_body
        e, f = fn(term, atoms, sym, ii, jj, dd)
        energies.append(e)
        forces.append(f)
    return np.concatenate(energies), np.concatenate(forces, axis=2)


def _fmt(values: np.ndarray) -> str:
    return " ".join(repr(float(v)) for v in np.ravel(values))


def _block_2b(e1: str, e2: str, basis: Uf3Basis, coeff: np.ndarray, header: str) -> list[str]:
    return [
        header,
        f"2B {e1} {e2} 0 {TRAILING_TRIM} uk",
        f"{basis.cutoff_a!r} {len(basis.knots)}",
        _fmt(basis.knots),
        f"{len(coeff)}",
        _fmt(coeff),
        "#",
    ]


def _block_3b(
    els: tuple[str, str, str], bases: Sequence[Uf3Basis], coeff: np.ndarray, header: str
) -> list[str]:
    bij, bik, bjk = bases
    lines = [
        header,
        f"3B {els[0]} {els[1]} {els[2]} 0 {TRAILING_TRIM} uk",
        f"{bjk.cutoff_a!r} {bij.cutoff_a!r} {bik.cutoff_a!r} "
        f"{len(bjk.knots)} {len(bik.knots)} {len(bij.knots)}",
        _fmt(bjk.knots),
        _fmt(bik.knots),
        _fmt(bij.knots),
        f"{coeff.shape[0]} {coeff.shape[1]} {coeff.shape[2]}",
    ]
    lines += [_fmt(coeff[a, b]) for a in range(coeff.shape[0]) for b in range(coeff.shape[1])]
    return [*lines, "#"]


def write_uf3_file(
    path: str | Path,
    terms: Sequence[Uf3Term],
    coefficients: np.ndarray,
    *,
    elements: Sequence[str],
    author: str = "lithiophilic",
) -> Path:
    """Write the LAMMPS ``pair_style uf3 3`` file of ``terms`` with fitted ``coefficients``.

    Every element pair and every (centre, unordered neighbour pair) triple of ``elements``
    gets a block; those without a term are zero with a 0.5 Å cutoff.
    """
    header = f"#UF3 POT UNITS: metal DATE: 2026-12-05 AUTHOR: {author} CITATION: Xie2023"
    given: dict[tuple[str, ...], tuple[Uf3Term, np.ndarray]] = {}
    start = 0
    for term in terms:
        values = np.asarray(coefficients[start : start + term.n_free])
        start += term.n_free
        given[term.elements] = (term, term.coefficient_array(values))
    if start != len(coefficients):
        msg = f"uf3: {len(coefficients)} coefficients for {start} fitted basis functions"
        raise ConfigurationError(msg)
    zero = Uf3Basis(ZERO_BLOCK_CUTOFF_A, ZERO_BLOCK_CUTOFF_A)
    zero3 = (zero, zero, Uf3Basis(2 * ZERO_BLOCK_CUTOFF_A, 2 * ZERO_BLOCK_CUTOFF_A))
    lines: list[str] = []
    for e1, e2 in itertools.combinations_with_replacement(elements, 2):
        found = given.get((e1, e2)) or given.get((e2, e1))
        if found:
            lines += _block_2b(e1, e2, found[0].bases[0], found[1], header)
            continue
        # LAMMPS takes 3-body neighbours only within the 2-body cutoff of the pair: a zero
        # 2-body block reaches as far as the 3-body terms between these elements
        reach = [
            t.cutoff_a
            for t in terms
            if len(t.elements) == 3
            and any(c == t.elements[0] and n in t.elements[1:] for c, n in ((e1, e2), (e2, e1)))
        ]
        basis = Uf3Basis(max(reach), max(reach)) if reach else zero
        lines += _block_2b(e1, e2, basis, np.zeros(basis.n_coeff), header)
    for ei in elements:
        for ej, ek in itertools.combinations_with_replacement(elements, 2):
            if (ei, ej, ek) in given:
                t, c = given[(ei, ej, ek)]
                lines += _block_3b((ei, ej, ek), t.bases, c, header)
            elif (ei, ek, ej) in given:  # the same term with the neighbours swapped
                t, c = given[(ei, ek, ej)]
                bases = (t.bases[1], t.bases[0], t.bases[2])
                lines += _block_3b((ei, ej, ek), bases, np.transpose(c, (1, 0, 2)), header)
            else:
                lines += _block_3b((ei, ej, ek), zero3, np.zeros((4, 4, 4)), header)
    out = Path(path)
    out.write_text("\n".join(lines) + "\n")
    return out
