"""The sample the forked path's cost is measured on (``smoke_child.sample_units``) is taken as that
path serves modules: runs of modules of one package (whose package process, and shared opening
imports, serve them all), from packages spread through the whole order, not its far end (where
the modules that import the most are: on Django the far end cost about three times what the
whole check costs a module)."""

from __future__ import annotations

from itertools import pairwise

from shimkit.verify.smoke_child import SAMPLE_UNITS, sample_units

Items = list[tuple[str, list[str]]]


def _modules(packages: int, each: int) -> Items:
    return [(f"pkg_{p:02}.mod_{m:02}", []) for p in range(packages) for m in range(each)]


def _packages(sample: Items) -> list[str]:
    return list(dict.fromkeys(module.rpartition(".")[0] for module, _ in sample))


def test_the_sample_is_runs_of_packages_spread_through_the_order() -> None:
    modules = _modules(40, 20)
    sample = sample_units(modules, 64)
    assert len(sample) == 64
    assert sample == [item for item in modules if item in sample]  # in the order given
    packages = _packages(sample)
    assert len(packages) == SAMPLE_UNITS
    for package in packages:  # a run of consecutive modules of the package, as many of each
        positions = [modules.index(item) for item in sample if item[0].startswith(package + ".")]
        assert positions == list(range(positions[0], positions[0] + len(positions)))
        assert len(positions) == 64 // SAMPLE_UNITS
    indices = sorted(int(package.removeprefix("pkg_")) for package in packages)
    assert indices[0] < 10 and indices[-1] >= 30  # both ends of the order, not its far end
    assert max(b - a for a, b in pairwise(indices)) <= 10


def test_few_packages_give_more_of_each_around_their_place_in_the_order() -> None:
    one = _modules(1, 100)
    assert [module for module, _ in sample_units(one, 8)] == [
        f"pkg_00.mod_{m:02}" for m in range(46, 54)
    ]
    three = sample_units(_modules(3, 10), 9)
    assert len(three) == 9 and len(_packages(three)) == 3


def test_a_short_list_is_sampled_whole() -> None:
    modules = _modules(2, 3)
    assert sample_units(modules, 8) == modules
