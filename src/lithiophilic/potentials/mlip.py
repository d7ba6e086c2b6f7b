"""Machine-learned interatomic potentials: SevenNet-0 (default), CHGNet, and online-only options.

SevenNet-0 and CHGNet ship their weights inside their wheels and load offline.  MACE,
MatterSim, matgl and ORB download weights at run time; they are registered as options and
fail with a clear message where there is no internet.

References
----------
Park et al., J. Chem. Theory Comput. 20, 4857 (2024) (SevenNet).
Deng et al., Nat. Mach. Intell. 5, 1031 (2023) (CHGNet).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lithiophilic.potentials.registry import CalculatorBackend, register_calculator

if TYPE_CHECKING:
    from ase.calculators.calculator import Calculator

_TORCH_HINT = (
    "Install the ML extras with 'bash scripts/install.sh' (it installs torch==2.13.0 CPU first, "
    "then '.[mlip]')."
)


def make_sevennet(*, model: str = "7net-0", device: str = "cpu", **kwargs: Any) -> Calculator:
    """Return a SevenNet calculator (default model SevenNet-0, weights in the wheel).

    The tensor products' weight slices are fused (:mod:`lithiophilic.potentials.e3nn_speed`):
    bit-identical energies and forces, faster force calls on the CPU.
    """
    from sevenn.calculator import SevenNetCalculator

    from lithiophilic.potentials.e3nn_speed import fuse_weight_slices

    calc = SevenNetCalculator(model, device=device, **kwargs)
    fuse_weight_slices(calc.model)
    return calc


def make_chgnet(*, model: str = "0.3.0", device: str = "cpu", **kwargs: Any) -> Calculator:
    """Return a CHGNet calculator (weights in the wheel)."""
    from chgnet.model import CHGNet
    from chgnet.model.dynamics import CHGNetCalculator

    return CHGNetCalculator(
        model=CHGNet.load(model_name=model, use_device=device, verbose=False),
        use_device=device,
        **kwargs,
    )


def make_mace(*, model: str = "medium", device: str = "cpu", **kwargs: Any) -> Calculator:
    """Return a MACE-MP calculator (downloads weights at first use)."""
    from mace.calculators import mace_mp

    return mace_mp(model=model, device=device, **kwargs)


def make_mattersim(
    *, model: str = "MatterSim-v1.0.0-1M.pth", device: str = "cpu", **kwargs: Any
) -> Calculator:
    """Return a MatterSim calculator (downloads weights at first use)."""
    from mattersim.forcefield import MatterSimCalculator

    return MatterSimCalculator(load_path=model, device=device, **kwargs)


def make_matgl(*, model: str = "M3GNet-MP-2021.2.8-PES", **kwargs: Any) -> Calculator:
    """Return a matgl (M3GNet/CHGNet/TensorNet) calculator (downloads weights at first use)."""
    import matgl
    from matgl.ext.ase import PESCalculator

    return PESCalculator(matgl.load_model(model), **kwargs)


def make_orb(
    *, model: str = "orb_v3_conservative_inf_omat", device: str = "cpu", **kwargs: Any
) -> Calculator:
    """Return an ORB calculator (downloads weights at first use)."""
    from orb_models.forcefield import pretrained
    from orb_models.forcefield.calculator import ORBCalculator

    return ORBCalculator(getattr(pretrained, model)(device=device), device=device, **kwargs)


for _backend in (
    CalculatorBackend(
        name="sevenn",
        module="sevenn",
        factory=make_sevennet,
        package="sevenn",
        kind="mlip",
        description="SevenNet-0 universal MLIP (default; offline; PBE(+U) MPtrj-trained)",
        default_kwargs={"model": "7net-0", "device": "cpu"},
        model_key="model",
        cacheable=True,
        install_hint=_TORCH_HINT,
    ),
    CalculatorBackend(
        name="chgnet",
        module="chgnet",
        factory=make_chgnet,
        package="chgnet",
        kind="mlip",
        description="CHGNet universal MLIP (offline; softer surfaces than PBE)",
        default_kwargs={"model": "0.3.0", "device": "cpu"},
        model_key="model",
        cacheable=True,
        install_hint=_TORCH_HINT,
    ),
    CalculatorBackend(
        name="mace",
        module="mace",
        factory=make_mace,
        package="mace-torch",
        kind="mlip",
        description="MACE-MP foundation model (downloads weights; needs internet)",
        default_kwargs={"model": "medium", "device": "cpu"},
        model_key="model",
        cacheable=True,
        install_hint="pip install mace-torch (weights download at first use).",
    ),
    CalculatorBackend(
        name="mattersim",
        module="mattersim",
        factory=make_mattersim,
        package="mattersim",
        kind="mlip",
        description="MatterSim (downloads weights; needs internet)",
        default_kwargs={"model": "MatterSim-v1.0.0-1M.pth", "device": "cpu"},
        model_key="model",
        cacheable=True,
        install_hint="pip install mattersim (weights download at first use).",
    ),
    CalculatorBackend(
        name="matgl",
        module="matgl",
        factory=make_matgl,
        package="matgl",
        kind="mlip",
        description="matgl M3GNet/TensorNet (downloads weights; needs internet)",
        default_kwargs={"model": "M3GNet-MP-2021.2.8-PES"},
        model_key="model",
        cacheable=True,
        install_hint="pip install matgl (weights download at first use).",
    ),
    CalculatorBackend(
        name="orb",
        module="orb_models",
        factory=make_orb,
        package="orb-models",
        kind="mlip",
        description="ORB v3 (downloads weights; needs internet)",
        default_kwargs={"model": "orb_v3_conservative_inf_omat", "device": "cpu"},
        model_key="model",
        cacheable=True,
        install_hint="pip install orb-models (weights download at first use).",
    ),
):
    register_calculator(_backend)
