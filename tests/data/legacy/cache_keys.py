"""Cache keys of representative inputs, computed with the public key functions.

Run with the code of the commit before issue 16 to write ``cache_keys.json``; the test
``tests/test_compat.py`` recomputes them with today's code and requires them unchanged, so
a user's stored database keeps being reused (never recomputed) after a refactor.
"""

from __future__ import annotations

import json
import sys


def cache_keys() -> dict[str, str]:
    """Return name -> cache key for a fixed set of inputs."""
    from ase.build import bulk, fcc111

    from lithiophilic.potentials import CalculatorSpec
    from lithiophilic.potentials.lammps import get_lammps_potential
    from lithiophilic.provenance import structure_hash
    from lithiophilic.workflows.base import calc_cache_key
    from lithiophilic.workflows.md import md_cache_key

    cu = bulk("Cu", "fcc", a=3.615)
    slab = fcc111("Cu", size=(2, 2, 4), vacuum=7.5)
    relax = {"relax_cell": False, "fmax_ev_per_a": 0.05, "max_steps": 400, "optimizer": "BFGS"}
    specs = {
        "emt": CalculatorSpec("emt"),
        "gpaw_fast": CalculatorSpec("gpaw", {"preset": "fast"}),
        "gpaw_quick_pdos": CalculatorSpec(
            "gpaw", {"ecut_ev": 300.0, "kpt_density_a": 2.0, "nprocs": 2}
        ),
    }
    keys = {
        "structure_hash_cu": structure_hash(cu),
        "structure_hash_slab": structure_hash(slab),
    }
    for name, spec in specs.items():
        keys[f"spec_{name}"] = spec.key()
        keys[f"static_{name}"] = calc_cache_key(structure_hash(cu), spec, "static")
        keys[f"relax_{name}"] = calc_cache_key(structure_hash(slab), spec, "relax", relax)
    # md_cache_key hashes the potential's commands, which hold its files' absolute paths:
    # a copy at a fixed path keeps the key independent of where the checkout lives
    import shutil
    from pathlib import Path

    try:
        from lithiophilic.potentials.distill.models import load_fitted_potential
    except ImportError:  # the layout before issue 16
        from lithiophilic.potentials.fitted import load_fitted_potential

    fixed = Path("/tmp/lithiophilic-cache-key-golden/licuzn-eam")
    shutil.rmtree(fixed, ignore_errors=True)
    shutil.copytree(get_lammps_potential("licuzn-eam").directory, fixed)
    pot = load_fitted_potential(fixed, name="licuzn-eam")
    settings = {"temperature_k": 300.0, "timestep_fs": 1.0, "seed": 1, "n_mpi": 1}
    try:  # the key replicas were stored under before keys became portable
        keys["md_licuzn_eam"] = md_cache_key(slab, pot, settings, 5.0, 3.3, portable=False)
    except TypeError:  # before portable keys: the only key there was
        keys["md_licuzn_eam"] = md_cache_key(slab, pot, settings, 5.0, 3.3)
        return keys
    # since portable keys (written into cache_keys.json then): the key new replicas get
    keys["md_licuzn_eam_portable"] = md_cache_key(slab, pot, settings, 5.0, 3.3)
    return keys


if __name__ == "__main__":
    out = cache_keys()
    text = json.dumps(out, indent=1)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as fh:
            fh.write(text)
    else:
        print(text)
