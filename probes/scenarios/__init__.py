"""The probe scenarios: one module each in this package, found here.

Each module declares one ``Scenario`` (``base.Scenario``) named ``SCENARIO``; this
module imports every module of the package (``pkgutil``), so adding a scenario is
adding its file (and its test). ``SCENARIOS`` lists their names in their declared
``order``; ``get`` returns a declaration, ``build`` samples a scene.
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np

from vbench_lite.errors import UserError
from vbench_lite.probes.scenarios.base import (  # noqa: F401  (re-exported: the shared vocabulary)
    AREA, BALL_COLORS, BALLS, CANDLE_COLOR, CONTAINER_COLOR, COUNT, ENERGY, FEATURES, GRAVITY, LANDMARK_COLORS,
    LEVEL_TOTAL, LEVELS, LIQUID_COLOR, MOMENTUM, OCCLUDER, OCCLUDER_COLOR, OFFSCREEN, RADIUS, REVISIT, ROLLOUT,
    SPEED, SPLITS, STANDARD_SUITES, Scenario, colors, direction, draw,
)

_NOT_SCENARIOS = {"base"}


def _discover() -> dict[str, Scenario]:
    found: dict[str, Scenario] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name in _NOT_SCENARIOS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        sc = getattr(module, "SCENARIO", None)
        if not isinstance(sc, Scenario):
            raise ImportError(f"{module.__name__} declares no SCENARIO (a probes.scenarios.base.Scenario)")
        if sc.name in found:
            raise ImportError(f"scenario {sc.name!r} is declared twice ({module.__name__})")
        found[sc.name] = sc
    orders = [s.order for s in found.values()]
    if len(set(orders)) != len(orders):
        raise ImportError(f"two scenarios share an order: {sorted(orders)}")
    return dict(sorted(found.items(), key=lambda kv: kv[1].order))


REGISTRY: dict[str, Scenario] = _discover()
SCENARIOS: tuple[str, ...] = tuple(REGISTRY)
RANGES = {name: sc.ranges for name, sc in REGISTRY.items()}


def register(scenario: Scenario) -> None:
    """Add a scenario declared outside this package (a plugin, a test). The package's own
    scenarios are found by ``_discover``; a name or an order already taken is refused."""
    if scenario.name in REGISTRY:
        raise ValueError(f"scenario {scenario.name!r} is already registered")
    if any(s.order == scenario.order for s in REGISTRY.values()):
        raise ValueError(f"scenario order {scenario.order} is taken")
    REGISTRY[scenario.name] = scenario
    _reorder()


def unregister(name: str) -> Scenario:
    sc = REGISTRY.pop(name)
    _reorder()
    return sc


def _reorder() -> None:
    global SCENARIOS, RANGES
    ordered = sorted(REGISTRY.values(), key=lambda s: s.order)
    REGISTRY.clear()
    REGISTRY.update((s.name, s) for s in ordered)
    SCENARIOS = tuple(REGISTRY)
    RANGES = {n: s.ranges for n, s in REGISTRY.items()}


def get(name: str) -> Scenario:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UserError(f"unknown probe scenario {name!r}; choose one of {', '.join(SCENARIOS)}") from None


def features(name: str) -> frozenset[str]:
    """The features scenario ``name``'s world holds (``base``'s vocabulary)."""
    return get(name).features


def with_features(any_of: frozenset[str]) -> tuple[str, ...]:
    """Scenarios whose world holds at least one of ``any_of``, in order."""
    return tuple(n for n, sc in REGISTRY.items() if sc.features & any_of)


def in_suite(suite: str) -> tuple[str, ...]:
    """Scenarios that are part of the probe suite ``suite``, in order."""
    return tuple(n for n, sc in REGISTRY.items() if suite in sc.suites)


def length(name: str) -> int:
    """Scenario ``name``'s clip length in protocol clips (``Scenario.length``)."""
    return get(name).length


def build(scenario: str, split: str, rng: np.random.Generator, height_w: float,
          duration: float, cond_time: float) -> tuple:
    """Sample one scene. ``duration``: time of the last frame (s); ``cond_time``: time
    of the last conditioning frame (s). Returns (scene, params, prompt)."""
    sc = get(scenario)
    return sc.builder(rng, sc.draw_params(split, rng), height_w, duration, cond_time)
