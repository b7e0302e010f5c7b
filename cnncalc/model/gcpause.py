"""Pausing Python's cyclic garbage collector while a large spec is loaded, built and walked.

Those phases allocate one object after another and free almost nothing, which is when the cyclic
collector costs most: at 100,000 layers it took over half of the walk's time. The objects they
make form trees, not cycles (a recursive YAML alias is refused), so reference counting frees
them all; pausing the collector changes no result and leaks nothing. The previous state is
restored on the way out, errors included.
"""

from __future__ import annotations

import gc
from types import TracebackType


class paused_gc:  # lower case: used like a function, `with paused_gc():`
    __slots__ = ("was_enabled",)

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.was_enabled:
            gc.enable()
