"""A generic name -> object registry with lazy ``"module:Attr"`` targets.

Registering a string target never imports it, so ``import vbench_lite`` stays light
even when a generator needs diffusers. A wrong key gets a "did you mean" hint.
"""

from __future__ import annotations

import difflib
import importlib
from importlib import metadata
from typing import Any, Callable, Generic, Iterator, TypeVar

from vbench_lite.errors import UserError

T = TypeVar("T")


def import_target(target: str) -> Any:
    """Import ``"package.module:Attr"`` and return ``Attr``."""
    module_name, _, attr = target.partition(":")
    if not attr:
        raise UserError(f"bad target {target!r}: expected 'module:Attribute'")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise UserError(f"{module_name} has no attribute {attr!r} (target {target!r})") from None


class Registry(Generic[T]):
    """Maps names to objects or lazy ``"module:Attr"`` strings.

    ``entry_point_group``: third-party packages may add entries through this
    importlib.metadata entry-point group; they are read on first lookup.
    """

    def __init__(self, kind: str, entry_point_group: str | None = None):
        self.kind = kind
        self._entries: dict[str, Any] = {}
        self._group = entry_point_group
        self._entry_points_loaded = entry_point_group is None

    def register(self, name: str, target: Any = None, *, overwrite: bool = False) -> Callable:
        """``registry.register("x", "mod:Cls")`` or as a decorator ``@registry.register("x")``."""
        if target is not None:
            self._add(name, target, overwrite)
            return target

        def decorator(obj):
            self._add(name, obj, overwrite)
            return obj

        return decorator

    def unregister(self, name: str) -> Any:
        """Remove ``name`` and return what was registered under it (a lazy
        ``"module:Attr"`` string if it was never looked up); KeyError if absent.
        For tests and plugins that register something only for a while."""
        try:
            return self._entries.pop(name)
        except KeyError:
            raise KeyError(f"{self.kind} {name!r} is not registered") from None

    def _add(self, name: str, target: Any, overwrite: bool) -> None:
        existing = self._entries.get(name)
        if existing is not None and not overwrite and existing is not target and existing != target:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = target

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in metadata.entry_points(group=self._group):
            self._entries.setdefault(ep.name, ep.value)

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        self._load_entry_points()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def get(self, name: str) -> T:
        """Return the registered object, importing a lazy target on first use."""
        self._load_entry_points()
        if name not in self._entries:
            hint = difflib.get_close_matches(name, self._entries, n=1, cutoff=0.5)
            msg = f"unknown {self.kind} {name!r}"
            msg += f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(sorted(self._entries))}"
            raise UserError(msg)
        obj = self._entries[name]
        if isinstance(obj, str):
            obj = import_target(obj)
            self._entries[name] = obj
        return obj
