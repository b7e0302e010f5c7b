"""Explicit safety limits, so that no spec can make cnncalc hang or exhaust memory.

Each limit has a name that error messages quote, and can be raised from the command line
(``--limit max_layers=2000000``) or the Python API (``load(..., limits=Limits(max_layers=...))``).
docs/limits.md lists them with the reasons for their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True, slots=True)
class Limits:
    """The safety limits in force (see docs/limits.md); every field can be raised."""

    max_file_bytes: int = 128 * 1024
    """Bytes of a spec file (or of standard input), checked before it is read: bundled specs are
    under 4 KB, a flat 2,000-layer spec with a name and attributes on every layer about 120 KB.
    Any file under it answers within 2 s and 100 MB (docs/limits.md)."""
    max_layers: int = 250_000
    """Layers after expanding every ``repeat`` and block (2.5× the largest benchmark; real
    networks have hundreds to thousands)."""
    max_depth: int = 100
    """Nesting depth of the YAML document, and of layers inside branches, repeats and blocks."""
    max_values: int = 2_000_000
    """Values in the YAML document once aliases are expanded (stops "billion laughs"), counted
    as the file is read so that memory stays bounded too."""
    max_repeat: int = 1_000_000
    """The largest ``repeat`` count."""
    max_dim: int = 2**32
    """The largest size of any axis: channels, spatial sizes and the batch, as written in the spec
    or on the command line and as computed by every layer."""
    max_expansions: int = 1_000_000
    """Steps the spec builder may take: layers, block uses, parameter substitutions and repeat
    passes. Bounds specs whose blocks or repeats expand to nothing, many times over."""
    max_tensor_elements: int = 2**28
    """Elements (batch included) of any one tensor that ``cnncalc validate`` allocates; the
    analytic commands (``summary``, ``check``) never allocate tensors."""

    def with_overrides(self, **values: int) -> Limits:
        return replace(self, **values)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def exceeded(self, name: str, what: str, value: int) -> str:
        """The message for ``value`` over the limit ``name``: ``"<what> 5,000,000 exceeds the
        limit of 1,000,000 (max_repeat; raise it with --limit max_repeat=N)"``. Every command
        words its limit errors this way, so users always learn which limit and how to raise it."""
        return (f"{what} {value:,} exceeds the limit of {getattr(self, name):,} "
                f"({name}; raise it with --limit {name}=N)")


DEFAULT_LIMITS = Limits()

INT64_MAX = 2**63 - 1
"""The largest integer a spec may write or compute. PyTorch sizes are 64-bit integers, so a larger
number cannot describe a real network; refusing it early keeps every count small enough to print."""
