"""Imported before typer: the standard modules typer imports at module level but uses only in functions the command
path never calls are loaded on first use instead: ``subprocess`` (installing shell completion, opening a browser),
``difflib`` ("did you mean" after a mistyped command), ``shutil`` (the terminal's width, for help), ``traceback``
(typer's pretty tracebacks, which awsmon's one error handler never lets run), ``gettext`` (help and error texts),
``uuid`` and the ``platform`` it imports (typer's UUID options: awsmon has none; it makes its own ids with
``backends.local.base.random_uuid``). importlib.util.LazyLoader cannot do this on 3.11 (the ``import`` statement
reads ``__spec__``, which loads the module). See docs/architecture.md "Start-up" for the measured saving."""

import importlib
import sys
import types
from typing import Any

DEFERRED = ("subprocess", "difflib", "shutil", "traceback", "gettext", "uuid", "platform")
# Names taken with ``from module import name`` at import time: they get a stand-in that loads the module when it is
# called or one of its attributes is read (``StackSummary.from_list``).
FUNCTIONS = {"difflib": ("get_close_matches",), "shutil": ("get_terminal_size",),
             "traceback": ("FrameSummary", "StackSummary"), "gettext": ("gettext",), "uuid": ("UUID",)}  # fmt: skip


class _Deferred(types.ModuleType):
    """Stands in ``sys.modules`` for a module until an attribute other than its spec is read: then the real module
    is imported, and its namespace copied here so references taken meanwhile (``typer.main.subprocess``) work."""

    def __getattr__(self, attr: str) -> Any:
        if attr == "__path__":
            raise AttributeError(attr)  # ``from m import x`` asks whether m is a package: it is not
        real = _real(self.__name__)
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
            setattr(stub, fn, _Loading(name, fn))
        sys.modules[name] = stub


def _real(module: str) -> Any:
    mod = sys.modules.get(module)
    if isinstance(mod, _Deferred) or mod is None:
        if mod is not None:
            del sys.modules[module]
        mod = importlib.import_module(module)
    return mod


class _Loading:
    """A name taken from a deferred module: calling it, or reading an attribute, loads the module."""

    def __init__(self, module: str, name: str) -> None:
        self._module, self.__name__ = module, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(_real(self._module), self.__name__)(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        return getattr(getattr(_real(self._module), self.__name__), attr)


defer(*DEFERRED)
