"""Loading the spec a command names: a path or a bundled spec's name, its text kept in
:data:`cnncalc.cli.common.SOURCES` so that an error can show the offending line."""

from __future__ import annotations

import os

from cnncalc.api import Network, parse, read_spec_file, resolve_spec, spec_stem
from cnncalc.cli.common import SOURCES
from cnncalc.model.errors import Mark, SpecError
from cnncalc.model.limits import DEFAULT_LIMITS, Limits
from cnncalc.spec import bundled


def load_network(spec: str, limits: Limits = DEFAULT_LIMITS) -> Network:
    """Load SPEC (a path or a bundled spec name), remembering its text for error display."""
    path = resolve_spec(spec)
    if path is None:
        raise SpecError(f"no such file: {spec} (bundled specs: {', '.join(bundled.names())})",
                        Mark(spec, 1, 1), code="io")
    shown = spec if os.path.exists(spec) else path
    text = read_spec_file(path)
    SOURCES[shown] = text
    return parse(text, shown, limits, spec_stem(path))
