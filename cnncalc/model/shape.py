"""Tensor shapes: channels first, any number of spatial axes, never the batch."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod


@dataclass(frozen=True, slots=True)
class Shape:
    """The shape of one sample: ``channels`` then the spatial axes (0, 1, 2 or 3 of them).

    A flat feature vector (the output of ``flatten`` or ``linear``) has no spatial axes:
    ``Shape(4096, ())``.
    """

    channels: int
    spatial: tuple[int, ...] = ()

    @classmethod
    def of(cls, dims: tuple[int, ...] | list[int]) -> Shape:
        """``Shape.of([3, 224, 224])`` — channels first, as a spec's ``input`` is written."""
        if not dims:
            raise ValueError("a shape needs at least the channel count")
        return cls(int(dims[0]), tuple(int(d) for d in dims[1:]))

    @property
    def rank(self) -> int:
        """The number of spatial axes."""
        return len(self.spatial)

    @property
    def dims(self) -> tuple[int, ...]:
        return (self.channels, *self.spatial)

    @property
    def numel(self) -> int:
        """Elements in one sample."""
        return self.channels * prod(self.spatial)

    @property
    def spatial_numel(self) -> int:
        return prod(self.spatial)

    def with_channels(self, channels: int) -> Shape:
        return Shape(channels, self.spatial)

    def with_spatial(self, spatial: tuple[int, ...]) -> Shape:
        return Shape(self.channels, tuple(spatial))

    def __str__(self) -> str:
        return "×".join(str(d) for d in self.dims)

    def to_list(self) -> list[int]:
        return list(self.dims)
