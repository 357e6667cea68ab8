"""Imported before typer: the standard modules typer imports at module level but uses only in functions the command
path never calls (``subprocess``: installing shell completion, opening a browser; ``difflib``: "did you mean" after
a mistyped command) are loaded on first use instead. ``platform`` cannot be: ``uuid``, which typer imports, calls
it. importlib.util.LazyLoader cannot do this on 3.11 (the ``import`` statement reads ``__spec__``, which loads the
module). See docs/architecture.md "Start-up" for the measured saving."""

import importlib
import sys
import types
from typing import Any

DEFERRED = ("subprocess", "difflib")
# Names taken with ``from module import name`` at import time: they get a function that loads the module on call.
FUNCTIONS = {"difflib": ("get_close_matches",)}


class _Deferred(types.ModuleType):
    """Stands in ``sys.modules`` for a module until an attribute other than its spec is read: then the real module
    is imported, and its namespace copied here so references taken meanwhile (``typer.main.subprocess``) work."""

    def __getattr__(self, attr: str) -> Any:
        if attr == "__path__":
            raise AttributeError(attr)  # ``from m import x`` asks whether m is a package: it is not
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        real = importlib.import_module(name)
        self.__dict__.update(real.__dict__)
        return getattr(real, attr)


def defer(*names: str) -> None:
    import importlib.util

    for name in names:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None:
            continue
        stub = _Deferred(name)
        stub.__spec__ = spec
        for fn in FUNCTIONS.get(name, ()):
            setattr(stub, fn, _loading(name, fn))
        sys.modules[name] = stub


def _loading(module: str, fn: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        mod = sys.modules.get(module)
        if isinstance(mod, _Deferred) or mod is None:
            if mod is not None:
                del sys.modules[module]
            mod = importlib.import_module(module)
        return getattr(mod, fn)(*args, **kwargs)

    call.__name__ = call.__qualname__ = fn
    return call


defer(*DEFERRED)
