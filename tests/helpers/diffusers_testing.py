"""Shared by the tests that run tiny real diffusers pipelines."""

from __future__ import annotations

import functools
import importlib.util
import os

import pytest


def require_diffusers(*, module_level: bool = False) -> None:
    """Skip without diffusers/transformers -- but fail under ``CI=true``, where the
    test extra must have installed them (a CI run that silently skips proves nothing)."""
    missing = [m for m in ("diffusers", "transformers") if importlib.util.find_spec(m) is None]
    if not missing:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {', '.join(missing)} missing: the test extra must install vbench-lite[diffusers]",
                    pytrace=False)
    pytest.skip(f"needs {', '.join(missing)} (pip install 'vbench-lite[diffusers]')", allow_module_level=module_level)


def record_calls(monkeypatch, cls, into: list | None = None) -> list:
    """Wrap the real pipeline class's ``__call__`` so every call's keyword arguments are
    appended to the returned list (``into``, when given)."""
    calls = [] if into is None else into
    real = cls.__call__

    @functools.wraps(real)
    def recording(self, *args, **kwargs):
        calls.append(kwargs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__call__", recording)
    return calls
