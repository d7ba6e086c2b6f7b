"""Li-Li cluster analysis, streaming readers and the aggregation-rate fit."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from ase import Atoms
from ase.io import write

from lithiophilic.analysis.aggregation import (
    FALLBACK_CUTOFF_A,
    Frame,
    _components,
    analyze_trajectory,
    analyze_trajectory_rate,
    cluster_frame,
    compare_rates,
    iter_frames,
    li_li_cutoff_a,
    li_pairs,
    parse_type_map,
    rate_over_replicas,
)
from lithiophilic.errors import AnalysisError, ConfigurationError

A = 20.0
HEX = np.array([[A, 0, 0], [-A / 2, A * np.sqrt(3) / 2, 0], [0, 0, 30.0]])
PBC = (True, True, False)


def _known_configuration() -> tuple[np.ndarray, dict]:
    """Cluster of 4 around the cell corner, a pair across the a-edge, 3 isolated Li."""
    d = 2.8
    corner = np.array([[0, 0], [d, 0], [d / 2, d * np.sqrt(3) / 2], [-d / 2, -d * np.sqrt(3) / 2]])
    edge_mid = 0.5 * HEX[1, :2]  # middle of the b edge: x = -5, on the a = 0 boundary
    pair = edge_mid + np.array([[-d / 2 * 0.9, 0], [d / 2 * 0.9, 0]])
    isolated = np.array([[5.0, 8.0], [0.0, 12.0], [10.0, 3.0]])
    xy = np.vstack([corner, pair, isolated])
    pos = np.column_stack([xy, np.full(len(xy), 15.0)])
    frac = np.linalg.solve(HEX.T, pos.T).T
    frac[:, :2] %= 1.0  # wrap: the corner cluster now spans all four corners of the cell
    expected = {"n_clusters": 5, "largest_cluster": 4, "isolated_fraction": 3 / 9}
    return frac @ HEX, expected


def test_clusters_across_periodic_boundaries_of_a_hexagonal_cell():
    pos, exp = _known_configuration()
    res = cluster_frame(pos, HEX, PBC, 3.3)
    assert res.n_clusters == exp["n_clusters"]
    assert res.largest_cluster == exp["largest_cluster"]
    assert res.isolated_fraction == pytest.approx(exp["isolated_fraction"])
    assert res.mean_cluster_size == pytest.approx(9 / 5)
    assert len(set(res.labels[:4])) == 1
    assert res.labels[4] == res.labels[5]
    # corner cluster: triangle p0-p1-p2 plus p0-p3 (p3-p1 4.85 Å, p3-p2 5.6 Å) = 4 bonds; + pair
    assert res.mean_coordination == pytest.approx(2 * (4 + 1) / 9)
    # without periodic boundaries the clusters fall apart
    open_res = cluster_frame(pos, HEX, (False, False, False), 3.3)
    assert open_res.n_clusters > exp["n_clusters"]


@pytest.mark.parametrize("cutoff_a", [4.5, 9.5])  # 9.5 Å: the cell is thinner, images ±2
@pytest.mark.parametrize("dense_max", [256, 0])  # dense distances and k-d trees
def test_pairs_match_ase_neighbor_list_on_random_triclinic_frames(cutoff_a, dense_max, monkeypatch):
    from ase.neighborlist import neighbor_list

    import lithiophilic.analysis.aggregation as agg

    monkeypatch.setattr(agg, "_DENSE_MAX", dense_max)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(4)
    cell = np.array([[9.0, 0, 0], [-4.0, 8.0, 0], [0, 0, 25.0]])
    for _ in range(3):
        pos = rng.random((40, 3)) @ cell - [3.0, 2.0, 0.0]  # some atoms outside the cell
        i, j, d = li_pairs(pos, cell, PBC, cutoff_a)
        atoms = Atoms("Li40", positions=pos, cell=cell, pbc=PBC)
        ai, ad = neighbor_list("id", atoms, cutoff_a)
        assert len(i) * 2 == len(ai)
        assert np.sort(np.concatenate([d, d])) == pytest.approx(np.sort(ad), abs=1e-9)
        coord = np.bincount(i, minlength=40) + np.bincount(j, minlength=40)
        assert coord.tolist() == np.bincount(ai, minlength=40).tolist()
    # components against scipy's csgraph on random sparse graphs
    for seed in range(5):
        g = np.random.default_rng(seed)
        n = 300
        i, j = g.integers(0, n, 250), g.integers(0, n, 250)
        k_ref, lab_ref = connected_components(
            coo_matrix((np.ones(250), (i, j)), shape=(n, n)), directed=False
        )
        k, lab = _components(n, i, j)
        assert k == k_ref
        assert len(set(zip(lab.tolist(), lab_ref.tolist(), strict=True))) == k


def _write_dump(path, frames_pos, cell, types_elements, *, opener=open):
    xy = cell[1, 0]
    with opener(path, "wt") as fh:
        for step, pos in enumerate(frames_pos):
            fh.write(f"ITEM: TIMESTEP\n{step * 1000}\nITEM: NUMBER OF ATOMS\n{len(pos)}\n")
            xlo_b, xhi_b = min(0.0, xy), cell[0, 0] + max(0.0, xy)
            fh.write(f"ITEM: BOX BOUNDS xy xz yz pp pp ff\n{xlo_b} {xhi_b} {xy}\n")
            fh.write(f"0 {cell[1, 1]} 0\n0 {cell[2, 2]} 0\nITEM: ATOMS id type element x y z\n")
            for k, (p, el) in enumerate(zip(pos, types_elements, strict=True)):
                fh.write(f"{k + 1} 1 {el} {p[0]:.6f} {p[1]:.6f} {p[2]:.6f}\n")


def test_lammps_dump_gz_triclinic_roundtrip_and_metrics(tmp_path):
    pos, _exp = _known_configuration()
    path = tmp_path / "traj.lammpstrj.gz"
    _write_dump(path, [pos, pos], HEX, ["Li"] * len(pos), opener=gzip.open)
    frames = list(iter_frames(path, timestep_fs=1.0))
    assert len(frames) == 2
    assert frames[1].time_ps == pytest.approx(1.0)
    assert frames[0].cell == pytest.approx(HEX)
    assert frames[0].positions == pytest.approx(pos, abs=1e-5)
    out = analyze_trajectory(path, cutoff_a=3.3, timestep_fs=1.0)
    assert [f["n_clusters"] for f in out["frames"]] == [5, 5]
    assert out["frames"][0]["largest_cluster"] == 4


def test_extxyz_reader_streams(tmp_path):
    pos, exp = _known_configuration()
    atoms = Atoms(["Li"] * len(pos) + ["Cu"], positions=[*pos, [0, 0, 5]], cell=HEX, pbc=PBC)
    path = tmp_path / "t.extxyz"
    write(path, [atoms, atoms, atoms])
    out = analyze_trajectory(path, cutoff_a=3.3)
    assert out["n_frames"] == 3
    assert out["n_li"] == 9
    assert out["frames"][2]["n_clusters"] == exp["n_clusters"]


def test_truncated_dump_errors_clearly(tmp_path):
    pos, _ = _known_configuration()
    plain = tmp_path / "t.lammpstrj"
    _write_dump(plain, [pos, pos, pos], HEX, ["Li"] * len(pos))
    text = plain.read_text().splitlines(keepends=True)
    plain.write_text("".join(text[:-3]))
    with pytest.raises(AnalysisError, match="truncated or corrupt at frame 2"):
        list(iter_frames(plain))
    gz = tmp_path / "t.lammpstrj.gz"
    _write_dump(gz, [pos] * 20, HEX, ["Li"] * len(pos), opener=gzip.open)
    data = gz.read_bytes()
    gz.write_bytes(data[: len(data) // 2])
    with pytest.raises(AnalysisError, match="truncated or corrupt"):
        analyze_trajectory(gz, cutoff_a=3.3)


def test_no_li_is_an_error(tmp_path):
    path = tmp_path / "cu.lammpstrj"
    _write_dump(path, [np.array([[1.0, 1.0, 1.0]])], HEX, ["Cu"])
    with pytest.raises(AnalysisError, match="no Li atoms"):
        analyze_trajectory(path, cutoff_a=3.3)


def test_cutoff_from_pair_distribution_and_fallback():
    rng = np.random.default_rng(0)
    # hexagonal Li patches (NN 3.0 Å, second shell 5.2 Å) with thermal noise
    base = np.array(
        [[i * 3.0 + j * 1.5, j * 3.0 * np.sqrt(3) / 2] for i in range(3) for j in range(3)]
    )
    frames = []
    for k in range(10):
        centres = np.array([[4.0, 4.0], [24.0, 5.0], [10.0, 26.0]])
        xy = np.vstack([c + base for c in centres]) + rng.normal(0, 0.08, (27, 2))
        pos = np.column_stack([xy, np.full(27, 10.0)])
        cell = np.diag([40.0, 40.0, 30.0])
        frames.append(Frame(k, k, None, cell, np.array(PBC), np.array(["Li"] * 27), pos))
    cutoff, source = li_li_cutoff_a(frames)
    assert 3.2 < cutoff < 4.2
    assert "first minimum" in source
    lonely = [
        Frame(
            0, 0, None, np.diag([40.0, 40, 30]), np.array(PBC), np.array(["Li"]), np.zeros((1, 3))
        )
    ]
    assert li_li_cutoff_a(lonely)[0] == FALLBACK_CUTOFF_A


def test_rate_fit_recovers_known_rate_within_ci():
    rng = np.random.default_rng(1)
    t = np.linspace(0, 100, 101)
    k_true = 0.03
    replicas = []
    for _ in range(5):
        k_rep = k_true * (1 + rng.normal(0, 0.1))
        phi = np.clip(np.exp(-k_rep * t) + rng.normal(0, 0.02, t.size), 0, 1)
        replicas.append(
            {"time_ps": t, "isolated_fraction": phi, "mean_cluster_size": 1 / np.maximum(phi, 0.05)}
        )
    res = rate_over_replicas(replicas)
    k = res["k_per_ps"]
    assert k["ci_low"] < k_true < k["ci_high"]
    assert k["ci_high"] - k["ci_low"] < k_true  # the interval is informative
    slow = [
        {**r, "isolated_fraction": np.clip(np.exp(-0.005 * t) + rng.normal(0, 0.02, t.size), 0, 1)}
        for r in replicas
    ]
    k_slow = rate_over_replicas(slow)["k_per_ps_replicas"]
    cmp = compare_rates(res["k_per_ps_replicas"], k_slow, label_a="Cu", label_b="alloy")
    assert cmp["significant"]
    assert "faster" in cmp["statement"]
    assert cmp["statement"].startswith("aggregation on Cu")
    same = compare_rates(res["k_per_ps_replicas"], res["k_per_ps_replicas"][::-1])
    assert not same["significant"]


def test_parse_type_map():
    assert parse_type_map("1=Li, 2=Cu,3=Zn") == {1: "Li", 2: "Cu", 3: "Zn"}
    with pytest.raises(ConfigurationError, match="type-map: 'Li,Cu' is not like 1=Li,2=Cu"):
        parse_type_map("Li,Cu")


def test_analyze_trajectory_rate(tmp_path):
    cell = np.diag([20.0, 20.0, 30.0])
    apart = [[2, 2, 10], [8, 2, 10], [2, 8, 10], [8, 8, 10]]
    pair = [[2, 2, 10], [4.5, 2, 10], [2, 8, 10], [8, 8, 10]]
    frames = [Atoms("Li4", positions=p, cell=cell, pbc=PBC) for p in (apart, apart, pair, pair)]
    path = tmp_path / "t.extxyz"
    write(path, frames)
    res = analyze_trajectory_rate(path, cutoff_a=3.0, timestep_fs=None)
    assert [f["n_clusters"] for f in res["frames"]] == [4, 4, 3, 3]
    assert "rate" not in res  # extxyz frames carry no times: no rate
    with pytest.raises(ConfigurationError, match=r"cutoff: -1\.0 must be > 0"):
        analyze_trajectory_rate(path, cutoff_a=-1.0)
