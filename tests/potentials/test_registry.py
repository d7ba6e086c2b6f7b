from __future__ import annotations

import pytest
from ase.build import bulk

from lithiophilic.errors import CalculatorUnavailableError, ConfigurationError
from lithiophilic.potentials import (
    REGISTRY,
    CalculatorBackend,
    CalculatorSpec,
    calculator_provenance,
    check_elements,
    get_calculator,
    register_calculator,
)


def test_unknown_calculator_names_the_options():
    with pytest.raises(ConfigurationError, match=r"unknown name 'vaspp'.*sevenn"):
        CalculatorSpec("vaspp")


def test_kwargs_must_be_serialisable():
    with pytest.raises(ConfigurationError, match="JSON-serialisable"):
        CalculatorSpec("emt", kwargs={"x": object()})


def test_spec_roundtrip_and_key_is_stable():
    spec = CalculatorSpec("sevenn", kwargs={"model": "7net-0"})
    again = CalculatorSpec.from_dict(spec.as_dict())
    assert again == spec
    assert again.key() == spec.key()
    assert CalculatorSpec("sevenn").key() == spec.key()  # explicit default == default
    assert CalculatorSpec("chgnet").key() != spec.key()


def test_provenance_records_version_and_model():
    prov = calculator_provenance(CalculatorSpec("sevenn"))
    assert prov["calculator_name"] == "sevenn"
    assert prov["calculator_model"] == "7net-0"
    assert prov["calculator_version"]  # installed package version
    assert prov["settings"]["device"] == "cpu"


def test_emt_rejects_li_and_zn():
    with pytest.raises(ConfigurationError, match=r"not valid for element\(s\) \['Li', 'Zn'\]"):
        check_elements(CalculatorSpec("emt"), ["Cu", "Zn", "Li"])
    check_elements(CalculatorSpec("emt"), ["Cu"])
    check_elements(CalculatorSpec("sevenn"), ["Cu", "Zn", "Li"])


def test_user_factory_by_import_path():
    spec = CalculatorSpec("python", kwargs={"factory": "ase.calculators.emt:EMT"})
    atoms = bulk("Cu", "fcc", a=3.6)
    atoms.calc = get_calculator(spec)
    assert atoms.get_potential_energy() == pytest.approx(-0.0056, abs=2e-3)
    with pytest.raises(ConfigurationError, match="module:function"):
        get_calculator(CalculatorSpec("python", kwargs={"factory": "ase.calculators.emt"}))


def test_missing_package_is_a_clear_error():
    def factory(**_):
        import lithiophilic_no_such_package  # noqa: F401

    register_calculator(
        CalculatorBackend(
            name="_missing",
            factory=factory,
            package="nopkg",
            kind="user",
            description="test",
            install_hint="pip install nopkg",
        ),
        overwrite=True,
    )
    try:
        with pytest.raises(
            CalculatorUnavailableError, match=r"needs the package 'nopkg'.*pip install nopkg"
        ):
            get_calculator("_missing")
        with pytest.raises(ConfigurationError, match="already registered"):
            register_calculator(REGISTRY["_missing"])
    finally:
        REGISTRY.pop("_missing")


@pytest.mark.mlip
def test_sevenn_is_cached_and_gives_cu_cohesion(sevenn_spec):
    calc = get_calculator(sevenn_spec)
    assert get_calculator(sevenn_spec) is calc
    atoms = bulk("Cu", "fcc", a=3.63)
    atoms.calc = calc
    # MPtrj-PBE total energy of fcc Cu is about -4.1 eV/atom
    assert atoms.get_potential_energy() == pytest.approx(-4.1, abs=0.1)


@pytest.mark.mlip
def test_chgnet_loads_offline():
    atoms = bulk("Cu", "fcc", a=3.63)
    atoms.calc = get_calculator("chgnet")
    assert atoms.get_potential_energy() == pytest.approx(-4.1, abs=0.2)


def test_ensure_available_checks_without_loading():
    from lithiophilic.potentials import ensure_available

    ensure_available("sevenn")
    ensure_available("emt")
    ensure_available(CalculatorSpec("python", kwargs={"factory": "ase.calculators.emt:EMT"}))
    with pytest.raises(CalculatorUnavailableError, match=r"'orb-models' \(module 'orb_models'\)"):
        ensure_available("orb")
    with pytest.raises(CalculatorUnavailableError, match="nosuchmod"):
        ensure_available(CalculatorSpec("python", kwargs={"factory": "nosuchmod:make"}))


def test_capabilities_are_declared_and_queried():
    from lithiophilic.potentials.registry import CAPABILITIES, calculators_with

    assert {"pdos", "stress", "spin"} == CAPABILITIES
    assert calculators_with("pdos") == sorted(
        n for n, b in REGISTRY.items() if "pdos" in b.capabilities
    )
    assert "sevenn" not in calculators_with("pdos")
    with pytest.raises(ConfigurationError, match=r"capability: 'phonons' is not one of"):
        calculators_with("phonons")
    with pytest.raises(ConfigurationError, match="declares 'pdos' but gives no pdos_runner"):
        CalculatorBackend(
            name="_nopdos",
            factory=get_calculator,
            package="ase",
            kind="user",
            description="test",
            capabilities=frozenset({"pdos"}),
        )


def test_check_installation_runs_the_backend_check():
    from lithiophilic.potentials.registry import check_installation

    seen = []
    register_calculator(
        CalculatorBackend(
            name="_checked",
            factory=get_calculator,
            package="ase",
            kind="user",
            description="test",
            installation_check=lambda settings: seen.append(dict(settings)),
            default_kwargs={"x": 1},
        ),
        overwrite=True,
    )
    try:
        check_installation(CalculatorSpec("_checked", {"y": 2}))
        assert seen == [{"x": 1, "y": 2}]
    finally:
        REGISTRY.pop("_checked")
    with pytest.raises(CalculatorUnavailableError, match="orb_models"):
        check_installation("orb")
