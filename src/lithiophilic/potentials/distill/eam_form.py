"""The functional form of the distilled EAM (LAMMPS ``eam/alloy``) and its numpy evaluation.

The fast model family of the distilled Li–Cu–Zn potential (fitted by
:mod:`lithiophilic.potentials.distill.eam`).  The energy is

    E = sum_i F_{a_i}(rho_i) + 1/2 sum_{i != j} phi_{a_i a_j}(r_ij),
    rho_i = sum_j g_{a_j}(r_ij)

with, for each element ``a`` (``eam/alloy``: the density depends on the neighbour's element):

``g_a(r) = A_a exp(-beta_a (r' - R_DENSITY_REF_A)) fc(r)``
    an exponential density with the smooth cutoff ``fc(r) = (1 - (r/rc)^2)^3`` (zero with two
    vanishing derivatives at ``rc``); ``r' = r`` above ``density_saturation_a`` and levels off
    smoothly (C1) below it, so the density of a squeezed neighbour stays finite and the
    embedding energy cannot outgrow the ZBL wall.  ``A_a`` (``A`` of the first element fixed to 1: the scale
    of rho is a gauge) and ``beta_a`` are the only nonlinear parameters.
``F_a(rho) = c_0 + sum_{m=1..M} c_m (sqrt(rho)/s_a)^m``
    a polynomial in ``sqrt(rho)`` (the Finnis–Sinclair square root plus corrections); ``c_0``
    is the energy of the isolated atom, ``s_a`` a fixed scale (the median ``sqrt(rho)`` of
    element ``a`` in the training data).  Above ``density_max`` (twice the largest training
    density) ``F`` continues linearly, as LAMMPS does beyond its table.
``phi_ab(r) = phi_ZBL(r) S(r) + sum_k d_k B_k(r)``
    the universal ZBL screened-Coulomb repulsion (Ziegler, Biersack, Littmark), switched off
    smoothly between ``zbl_inner_a`` and ``zbl_outer_a``, plus uniform cubic B-splines between
    ``pair_r_min_a`` and ``rc`` that vanish with two derivatives at both ends.  Below the
    shortest distances the teacher saw, the pair is therefore the ZBL wall, not an
    extrapolated spline.

The fitted model is tabulated as a LAMMPS ``setfl`` file (``eam/alloy``), which runs at ~10^6
atom-steps per CPU-second, and the same model is evaluated here in numpy
(:meth:`EamModel.predict`), so the file can be checked against it.

References
----------
M. S. Daw and M. I. Baskes, Phys. Rev. B 29, 6443 (1984) (EAM).
J. F. Ziegler, J. P. Biersack and U. Littmark, The Stopping and Range of Ions in Solids (1985).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from ase import units as ase_units

from lithiophilic.errors import ConfigurationError

if TYPE_CHECKING:
    from ase import Atoms

__all__ = ["COULOMB_EV_A", "R_DENSITY_REF_A", "EamModel", "EamSettings"]


#: Coulomb constant e^2 / (4 pi eps0) in eV·Å, from ASE's units (Hartree·Bohr).
COULOMB_EV_A = ase_units.Hartree * ase_units.Bohr
#: ZBL universal screening function coefficients and exponents.
_ZBL_C = np.array([0.18175, 0.50986, 0.28022, 0.02817])
_ZBL_D = np.array([3.19980, 0.94229, 0.40290, 0.20162])
#: Reference distance (Å) of the exponential density (A_a is the density at this distance).
R_DENSITY_REF_A = 2.5
#: Width (Å) over which the density's distance argument levels off below the saturation radius.
DENSITY_SATURATION_WIDTH_A = 0.4
#: Reference crystals written in the setfl header (informational for LAMMPS).
_LATTICE = {"Li": (3.44, "bcc"), "Cu": (3.62, "fcc"), "Zn": (2.66, "hcp")}


@dataclass(frozen=True)
class EamSettings:
    """EAM functional form and fit settings.

    Parameters
    ----------
    rcut_a
        Cutoff radius, Å (density and pair).
    pair_r_min_a
        Inner end of the pair splines, Å; below it the pair is the (switched) ZBL wall.
    pair_knot_spacing_a
        Target knot spacing of the uniform cubic pair splines, Å.
    zbl_inner_a, zbl_outer_a
        ZBL is fully on below ``zbl_inner_a`` and off above ``zbl_outer_a``, Å.
    density_saturation_a
        Below this distance (Å) the density functions level off (constant below it minus
        ``DENSITY_SATURATION_WIDTH_A``).
    embedding_degree
        Highest power of ``sqrt(rho)`` in the embedding polynomial.
    energy_weight
        Weight of a per-atom energy residual (eV/atom) relative to a force component (eV/Å).
    family_energy_weights
        ``(family, factor)`` pairs multiplying ``energy_weight`` for frames of that family.
        Default: ``li_pairs_111`` x 100, whose energy differences (Li pairing on the surface,
        ~0.1 eV on 65 atoms) are the aggregation driving force but ~1 meV/atom each.
    smoothness
        Second-difference penalty on the pair-spline coefficients (eV).
    density_beta_init_per_a
        Starting decay constant of every density function, 1/Å.
    max_density_evals
        Powell-search evaluations of the density parameters (0 = keep the starting values).
    n_rho, n_r
        Points of the tabulated embedding and radial functions in the setfl file.
    """

    rcut_a: float = 5.0
    pair_r_min_a: float = 1.4
    pair_knot_spacing_a: float = 0.2
    zbl_inner_a: float = 0.8
    zbl_outer_a: float = 1.6
    density_saturation_a: float = 1.6
    embedding_degree: int = 4
    energy_weight: float = 20.0
    family_energy_weights: tuple[tuple[str, float], ...] = (("li_pairs_111", 100.0),)
    smoothness: float = 5.0
    density_beta_init_per_a: float = 0.5
    max_density_evals: int = 600
    n_rho: int = 2000
    n_r: int = 2000

    def __post_init__(self) -> None:
        if not 0.0 < self.zbl_inner_a < self.zbl_outer_a < self.rcut_a:
            msg = (
                "EAM settings: need 0 < zbl_inner_a < zbl_outer_a < rcut_a, got "
                f"{self.zbl_inner_a}, {self.zbl_outer_a}, {self.rcut_a}"
            )
            raise ConfigurationError(msg)
        if not 0.0 < self.pair_r_min_a < self.rcut_a - 4 * self.pair_knot_spacing_a:
            msg = (
                f"EAM settings: pair_r_min_a={self.pair_r_min_a} must be > 0 and leave room for "
                f"one cubic spline (4 knot spacings) below rcut_a={self.rcut_a}"
            )
            raise ConfigurationError(msg)
        if self.embedding_degree < 1:
            msg = f"EAM settings: embedding_degree must be >= 1, got {self.embedding_degree}"
            raise ConfigurationError(msg)
        if self.n_rho < 100 or self.n_r < 100:
            msg = f"EAM settings: n_rho and n_r must be >= 100, got {self.n_rho}, {self.n_r}"
            raise ConfigurationError(msg)

    @property
    def n_knot_intervals(self) -> int:
        """Number of knot intervals of each pair spline."""
        return max(4, round((self.rcut_a - self.pair_r_min_a) / self.pair_knot_spacing_a))


# --- radial functions ---------------------------------------------------------------


def _cutoff(r: np.ndarray, rc: float) -> tuple[np.ndarray, np.ndarray]:
    x = np.clip(r / rc, 0.0, 1.0)
    base = 1.0 - x * x
    return base**3, -6.0 * x * base**2 / rc


def _zbl(r: np.ndarray, z1: int, z2: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ZBL energy (eV) and its derivative (eV/Å) at ``r`` (> 0)."""
    a = 0.46850 / (z1**0.23 + z2**0.23)
    x = r[..., None] / a
    e = np.exp(-_ZBL_D * x)
    phi_s = (_ZBL_C * e).sum(-1)
    dphi_s = (-_ZBL_C * _ZBL_D / a * e).sum(-1)
    k = z1 * z2 * COULOMB_EV_A
    return k * phi_s / r, k * (dphi_s / r - phi_s / r**2)


def _switch(r: np.ndarray, r1: float, r2: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.clip((r - r1) / (r2 - r1), 0.0, 1.0)
    s = 1.0 - t**3 * (10.0 - 15.0 * t + 6.0 * t * t)
    ds = -30.0 * t * t * (1.0 - t) ** 2 / (r2 - r1)
    return s, ds


def _saturate(r: np.ndarray, r_sat: float) -> tuple[np.ndarray, np.ndarray]:
    """Return r' (= r above ``r_sat``, constant below ``r_sat - w``, C1 between) and dr'/dr."""
    w = DENSITY_SATURATION_WIDTH_A
    rs = np.array(r, dtype=float)
    drs = np.ones_like(rs)
    mid = (r < r_sat) & (r > r_sat - w)
    low = r <= r_sat - w
    rs[mid] = r_sat - w / 2 + (r[mid] - r_sat + w) ** 2 / (2 * w)
    drs[mid] = (r[mid] - r_sat + w) / w
    rs[low] = r_sat - w / 2
    drs[low] = 0.0
    return rs, drs


def _cubic_bspline(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cardinal cubic B-spline on [0, 4] and its derivative with respect to ``u``."""
    b = np.zeros_like(u)
    db = np.zeros_like(u)
    m = (u >= 0) & (u < 1)
    b[m], db[m] = u[m] ** 3 / 6, u[m] ** 2 / 2
    m = (u >= 1) & (u < 2)
    v = u[m]
    b[m] = (-3 * v**3 + 12 * v**2 - 12 * v + 4) / 6
    db[m] = (-9 * v**2 + 24 * v - 12) / 6
    m = (u >= 2) & (u < 3)
    v = u[m]
    b[m] = (3 * v**3 - 24 * v**2 + 60 * v - 44) / 6
    db[m] = (9 * v**2 - 48 * v + 60) / 6
    m = (u >= 3) & (u < 4)
    b[m], db[m] = (4 - u[m]) ** 3 / 6, -((4 - u[m]) ** 2) / 2
    return b, db


def _pair_index(n_el: int) -> dict[tuple[int, int], int]:
    """Unordered element pair -> column block, in setfl order (11, 21, 22, 31, ...)."""
    out: dict[tuple[int, int], int] = {}
    k = 0
    for i in range(n_el):
        for j in range(i + 1):
            out[(i, j)] = out[(j, i)] = k
            k += 1
    return out


# --- the model ----------------------------------------------------------------------


@dataclass
class EamModel:
    """A fitted EAM model: its functional form, coefficients and density parameters.

    Parameters
    ----------
    elements
        Species in LAMMPS type order.
    settings
        Functional form and fit settings.
    density_amplitude, density_beta_per_a
        ``A_a`` and ``beta_a`` of each element's density function.
    embedding_scale
        ``s_a`` of each element (the ``sqrt(rho)`` scale of its embedding polynomial).
    embedding_coeffs_ev
        Per element, ``[c_0, c_1, ..., c_M]`` (eV).
    pair_coeffs_ev
        Per unordered pair in setfl order, the B-spline coefficients (eV).
    density_max
        Largest training density; the setfl table extends to twice it.
    """

    elements: tuple[str, ...]
    settings: EamSettings
    density_amplitude: list[float]
    density_beta_per_a: list[float]
    embedding_scale: list[float] = field(default_factory=list)
    embedding_coeffs_ev: list[list[float]] = field(default_factory=list)
    pair_coeffs_ev: list[list[float]] = field(default_factory=list)
    density_max: float = 0.0

    # radial functions
    def density(self, el: int, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``g_el(r)`` and its derivative."""
        fc, dfc = _cutoff(r, self.settings.rcut_a)
        rs, drs = _saturate(np.asarray(r, dtype=float), self.settings.density_saturation_a)
        a, b = self.density_amplitude[el], self.density_beta_per_a[el]
        e = a * np.exp(-b * (rs - R_DENSITY_REF_A))
        return e * fc, e * (dfc - b * drs * fc)

    def pair_basis(self, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the pair B-spline basis (n_r, n_basis) and its r-derivative."""
        s = self.settings
        n = s.n_knot_intervals
        h = (s.rcut_a - s.pair_r_min_a) / n
        u = (np.asarray(r, dtype=float)[:, None] - s.pair_r_min_a) / h - np.arange(n - 3)
        b, db = _cubic_bspline(u)
        return b, db / h

    def pair_baseline(self, a: int, b: int, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the switched ZBL pair term of elements ``a``, ``b`` and its derivative."""
        from ase.data import atomic_numbers

        z1, z2 = atomic_numbers[self.elements[a]], atomic_numbers[self.elements[b]]
        rr = np.maximum(r, 1e-6)
        e, de = _zbl(rr, z1, z2)
        sw, dsw = _switch(rr, self.settings.zbl_inner_a, self.settings.zbl_outer_a)
        return e * sw, de * sw + e * dsw

    def embedding_basis(self, el: int, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``[(sqrt(rho)/s)^m]`` for m = 1..M (n, M) and the rho-derivatives."""
        rho = np.asarray(rho, dtype=float)
        deg = self.settings.embedding_degree
        scale = self.embedding_scale[el]
        sq = np.sqrt(np.maximum(rho, 0.0))
        x = sq / scale
        m = np.arange(1, deg + 1)
        val = x[:, None] ** m
        # d/d rho of x^m = m x^(m-1) / (2 s sqrt(rho)); finite limit only for m >= 2
        with np.errstate(divide="ignore", invalid="ignore"):
            der = m * x[:, None] ** (m - 1) / (2.0 * scale * sq[:, None])
        der[~np.isfinite(der)] = 0.0
        return val, der

    def embedding(self, el: int, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``F_el(rho)`` and ``F'_el(rho)``.

        Above :attr:`density_max` (the largest training density) ``F`` continues linearly
        with slope ``max(F'(density_max), 0)``: a density the teacher never showed can cost
        energy but never lower it, so squeezing atoms together is never rewarded.
        """
        c = np.asarray(self.embedding_coeffs_ev[el])
        rho = np.asarray(rho, dtype=float)
        rho_in = np.minimum(rho, self.density_max) if self.density_max > 0 else rho
        val, der = self.embedding_basis(el, rho_in)
        f, df = c[0] + val @ c[1:], der @ c[1:]
        if self.density_max > 0:
            over = rho > self.density_max
            if over.any():
                val_max, der_max = self.embedding_basis(el, np.array([self.density_max]))
                f_max = float(c[0] + val_max[0] @ c[1:])
                slope = max(float(der_max[0] @ c[1:]), 0.0)
                f[over] = f_max + slope * (rho[over] - self.density_max)
                df[over] = slope
        return f, df

    def pair(self, a: int, b: int, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``phi_ab(r)`` and its derivative."""
        d = np.asarray(self.pair_coeffs_ev[_pair_index(len(self.elements))[(a, b)]])
        base, dbase = self.pair_baseline(a, b, r)
        bas, dbas = self.pair_basis(r)
        return base + bas @ d, dbase + dbas @ d

    def predict(self, atoms: Atoms) -> tuple[float, np.ndarray]:
        """Return the model's energy (eV) and forces (eV/Å) of ``atoms`` (numpy, no LAMMPS)."""
        g = _Geometry.of([atoms], self.elements, self.settings.rcut_a)
        e, f = g.evaluate(self)
        return float(e[0]), f

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict (``model.json``)."""
        return {
            "elements": list(self.elements),
            "settings": asdict(self.settings),
            "density_amplitude": list(map(float, self.density_amplitude)),
            "density_beta_per_a": list(map(float, self.density_beta_per_a)),
            "embedding_scale": list(map(float, self.embedding_scale)),
            "embedding_coeffs_ev": [list(map(float, c)) for c in self.embedding_coeffs_ev],
            "pair_coeffs_ev": [list(map(float, c)) for c in self.pair_coeffs_ev],
            "density_max": float(self.density_max),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EamModel:
        """Rebuild a model written by :meth:`to_dict`."""
        return cls(
            elements=tuple(d["elements"]),
            settings=EamSettings(
                **{
                    **d["settings"],
                    "family_energy_weights": tuple(
                        (str(f), float(w))
                        for f, w in d["settings"].get("family_energy_weights", ())
                    ),
                }
            ),
            density_amplitude=list(d["density_amplitude"]),
            density_beta_per_a=list(d["density_beta_per_a"]),
            embedding_scale=list(d["embedding_scale"]),
            embedding_coeffs_ev=[list(c) for c in d["embedding_coeffs_ev"]],
            pair_coeffs_ev=[list(c) for c in d["pair_coeffs_ev"]],
            density_max=float(d["density_max"]),
        )


@dataclass
class _Geometry:
    """Directed neighbour pairs of a set of frames, stacked with global atom indices."""

    n_frames: int
    n_atoms: np.ndarray  # per frame
    frame_of_atom: np.ndarray
    species: np.ndarray  # element index per atom
    i: np.ndarray
    j: np.ndarray
    d: np.ndarray
    unit: np.ndarray  # (n_pairs, 3): (x_j - x_i)/d
    _cache: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, frames: Sequence[Atoms], elements: Sequence[str], rc: float) -> _Geometry:
        from ase.neighborlist import neighbor_list

        index = {el: k for k, el in enumerate(elements)}
        ii, jj, dd, uu, spec, fr, nat = [], [], [], [], [], [], []
        offset = 0
        for f, atoms in enumerate(frames):
            i, j, d, dv = neighbor_list("ijdD", atoms, rc)
            ii.append(i + offset)
            jj.append(j + offset)
            dd.append(d)
            uu.append(dv / d[:, None])
            spec.append([index[s] for s in atoms.get_chemical_symbols()])
            fr.append(np.full(len(atoms), f))
            nat.append(len(atoms))
            offset += len(atoms)
        return cls(
            n_frames=len(frames),
            n_atoms=np.array(nat),
            frame_of_atom=np.concatenate(fr),
            species=np.concatenate(spec).astype(int),
            i=np.concatenate(ii),
            j=np.concatenate(jj),
            d=np.concatenate(dd),
            unit=np.concatenate(uu),
        )

    @property
    def n_total(self) -> int:
        return int(self.n_atoms.sum())

    def _incidence(self, both: bool) -> Any:
        """Sparse (N, n_pairs) map of pair weights onto atoms: +1 on i (and -1 on j)."""
        from scipy.sparse import csr_matrix

        key = "both" if both else "i"
        if key not in self._cache:
            n_p = len(self.d)
            cols = np.arange(n_p)
            if both:
                rows = np.concatenate([self.i, self.j])
                cols = np.concatenate([cols, cols])
                vals = np.concatenate([np.ones(n_p), -np.ones(n_p)])
            else:
                rows, vals = self.i, np.ones(n_p)
            self._cache[key] = csr_matrix((vals, (rows, cols)), shape=(self.n_total, n_p))
        return self._cache[key]

    def _force(self, pair_weight: np.ndarray, both: bool) -> np.ndarray:
        """Sum ``w_ij * unit_ij`` on atom i (and ``-w_ij * unit_ij`` on j if ``both``).

        ``pair_weight`` is (n_pairs,) or (n_pairs, k); returns (3N,) or (3N, k), rows ordered
        atom-major (x, y, z of atom 0, then atom 1, ...).
        """
        w = pair_weight if pair_weight.ndim == 2 else pair_weight[:, None]
        m = self._incidence(both)
        out = np.stack([m @ (w * self.unit[:, c : c + 1]) for c in range(3)], axis=1)
        out = out.reshape(3 * self.n_total, w.shape[1])
        return out if pair_weight.ndim == 2 else out[:, 0]

    def pair_columns(
        self, model: EamModel
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Energy (n_frames, n_pair_cols) and force (3N, n_pair_cols) columns, plus the baseline."""
        n_el = len(model.elements)
        pidx = _pair_index(n_el)
        n_pairs = len({v for v in pidx.values()})
        bas, dbas = model.pair_basis(self.d)
        nb = bas.shape[1]
        si, sj = self.species[self.i], self.species[self.j]
        ptype = np.array([pidx[(a, b)] for a, b in zip(si, sj, strict=True)]) if len(si) else si
        e_cols = np.zeros((self.n_frames, n_pairs * nb))
        f_cols = np.zeros((3 * self.n_total, n_pairs * nb))
        base_e = np.zeros(len(self.d))
        base_de = np.zeros(len(self.d))
        for (a, b), p in pidx.items():
            if a < b:
                continue
            m = ptype == p
            if not m.any():
                continue
            e, de = model.pair_baseline(a, b, self.d[m])
            base_e[m], base_de[m] = e, de
        frame_of_pair = self.frame_of_atom[self.i]
        for p in range(n_pairs):
            m = (ptype == p)[:, None]
            cols = slice(p * nb, (p + 1) * nb)
            for k in range(nb):
                e_cols[:, p * nb + k] = 0.5 * np.bincount(
                    frame_of_pair, np.where(m[:, 0], bas[:, k], 0.0), minlength=self.n_frames
                )
            f_cols[:, cols] = self._force(np.where(m, dbas, 0.0), both=False)
        e_base = 0.5 * np.bincount(frame_of_pair, base_e, minlength=self.n_frames)
        f_base = self._force(base_de, both=False)
        return e_cols, f_cols, e_base, f_base

    def densities(self, model: EamModel) -> tuple[np.ndarray, np.ndarray]:
        """Return per-atom rho and per-pair g'(r_ij) (neighbour j's density derivative)."""
        g = np.zeros(len(self.d))
        dg = np.zeros(len(self.d))
        sj = self.species[self.j]
        for el in range(len(model.elements)):
            m = sj == el
            g[m], dg[m] = model.density(el, self.d[m])
        return np.bincount(self.i, g, minlength=self.n_total), dg

    def embedding_columns(
        self, model: EamModel, rho: np.ndarray, dg: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Energy and force columns of ``[c_0, c_1..c_M]`` for each element."""
        n_el = len(model.elements)
        deg = model.settings.embedding_degree
        e_cols = np.zeros((self.n_frames, n_el * (deg + 1)))
        f_cols = np.zeros((3 * self.n_total, n_el * (deg + 1)))
        for el in range(n_el):
            atoms_el = self.species == el
            base = el * (deg + 1)
            e_cols[:, base] = np.bincount(
                self.frame_of_atom, atoms_el.astype(float), minlength=self.n_frames
            )
            val, der = model.embedding_basis(el, rho)
            host = atoms_el[self.i][:, None]
            for m in range(deg):
                e_cols[:, base + 1 + m] = np.bincount(
                    self.frame_of_atom, np.where(atoms_el, val[:, m], 0.0), minlength=self.n_frames
                )
            w = np.where(host, der[self.i] * dg[:, None], 0.0)
            f_cols[:, base + 1 : base + 1 + deg] = self._force(w, both=True)
        return e_cols, f_cols

    def evaluate(self, model: EamModel) -> tuple[np.ndarray, np.ndarray]:
        """Return energies (n_frames,) and forces (N, 3) of ``model``."""
        e_p, f_p, e_b, f_b = self.pair_columns(model)
        x = np.ravel(model.pair_coeffs_ev)
        e = e_b + e_p @ x
        f = f_b + f_p @ x
        rho, dg = self.densities(model)
        f_emb = np.zeros(self.n_total)
        df_emb = np.zeros(self.n_total)
        for el in range(len(model.elements)):
            m = self.species == el
            f_emb[m], df_emb[m] = model.embedding(el, rho[m])
        e = e + np.bincount(self.frame_of_atom, f_emb, minlength=self.n_frames)
        f = f + self._force(df_emb[self.i] * dg, both=True)
        return e, f.reshape(-1, 3)
