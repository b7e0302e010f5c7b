"""The layer-kind interface and its registry.

Each layer kind is one frozen dataclass in :mod:`cnncalc.layers`, registered under its spec name
with :func:`register`. Its fields are its attributes (declared with
:func:`cnncalc.model.attrs.attr`); its methods compute, for given input shapes, the output shape,
the parameter counts, the multiply-accumulates, the receptive-field map and an explanation.
Nothing outside the layer dispatches on what kind it is.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from cnncalc.model.arith import dropped_inputs
from cnncalc.model.attrs import Attr
from cnncalc.model.errors import AttributeValueError, suggest
from cnncalc.model.geometry import Window
from cnncalc.model.rf import IDENTITY_AXIS, AxisMap
from cnncalc.model.saved import NEW, NOTHING, Saved
from cnncalc.model.shape import Shape


@dataclass(frozen=True, slots=True)
class Counts:
    """Parameter counts of one layer: trainable weights and biases, and non-trainable buffers
    (batch-norm running statistics), which PyTorch does not count as parameters."""

    weights: int = 0
    bias: int = 0
    buffers: int = 0

    @property
    def params(self) -> int:
        return self.weights + self.bias


@dataclass(frozen=True, slots=True)
class AttributeInfo:
    """One declared attribute of a layer kind (for validation, docs and the JSON Schema)."""

    name: str
    type: Attr
    default: Any
    required: bool
    doc: str
    aliases: tuple[str, ...]


WHOLE_INPUT = None
"""Returned by :meth:`Layer.receptive_map` when every output unit reads the whole input."""


@dataclass(frozen=True)
class Layer:
    """Base class of every layer kind. Each kind is a ``@dataclass(frozen=True)`` of its
    attributes, so equal attributes make equal, hashable layers (``==``, ``hash`` and ``repr``
    come from the dataclass). A kind that adds no attributes to its base needs no decorator;
    :func:`register` checks that none that declares attributes forgets it."""

    kind: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    doc: ClassVar[str] = ""
    category: ClassVar[str] = "other"
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1
    sample: ClassVar[str] = ""
    """A one-line use of the kind, from a real network, that runs after any 2-D layer (shown by
    ``cnncalc kinds KIND``); the default is built from its required attributes."""

    # --- analysis, overridden by kinds ---------------------------------------------------------

    def arity(self) -> tuple[int, int | None]:
        """The least and most inputs this layer takes (None: any number)."""
        return self.min_inputs, self.max_inputs

    @classmethod
    def merges(cls) -> bool:
        """Whether the kind combines several inputs position by position (``concat``,
        ``add``, ``mul``): it takes branches, and its receptive field is the union of its
        inputs' fields."""
        return cls.max_inputs is None or cls.max_inputs > 1

    def infer(self, inputs: tuple[Shape, ...]) -> Shape:
        """The output shape for these input shapes; raises ShapeError where PyTorch would."""
        return inputs[0]

    def counts(self, inputs: tuple[Shape, ...], output: Shape) -> Counts:
        """Parameters (weights, bias) and buffers."""
        return Counts()

    def macs(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        """Multiply-accumulates for one sample (conv, transposed conv, linear, locally connected;
        every other kind does none by the convention in docs/conventions.md)."""
        return 0

    def receptive_map(self, inputs: tuple[Shape, ...],
                      output: Shape) -> tuple[AxisMap, ...] | None:
        """How output units read input units on each spatial axis; ``WHOLE_INPUT`` (None) when
        each output unit reads all of its input. The default: the sliding window of
        :meth:`windows` for kinds that have one, else the identity."""
        ws = self.windows(inputs[0])
        if ws is None:
            return tuple(IDENTITY_AXIS for _ in output.spatial)
        return tuple(AxisMap.window(w.k_eff, w.s, w.pb, w.d) for w in ws)

    def dropped_inputs(self, inputs: tuple[Shape, ...]) -> tuple[int, ...]:
        """Input pixels per axis that no window reaches (a stride that does not divide); none
        for kinds without a sliding window."""
        x = inputs[0]
        ws = self.windows(x)
        if ws is None:
            return tuple(0 for _ in x.spatial)
        return tuple(dropped_inputs(i, w.k, w.s, w.pb, w.pa, w.d) for i, w in zip(x.spatial, ws))

    def windows(self, x: Shape) -> tuple[Window, ...] | None:
        """The sliding window (kernel, stride, padding, dilation) on each spatial axis of input
        ``x``, for kinds that slide one (convolution, pooling); None for the others. Lint reads
        it to explain dropped pixels and padding."""
        return None

    def saved_for_backward(self, inputs: tuple[Shape, ...], output: Shape,
                           weight_grad: bool) -> Saved:
        """What PyTorch's autograd keeps for this layer's backward pass, per sample (memory
        model, docs/memory.md); ``weight_grad`` says whether its weights are trained. Default:
        nothing (shape-only backward: add, concat, upsampling, ...)."""
        return NOTHING

    def training_refusal(self, inputs: tuple[Shape, ...], batch: int) -> str | None:
        """Why PyTorch refuses to run this layer in training on ``batch`` samples of these
        inputs (``cnncalc check``'s training-refused), or None."""
        return None

    def output_storage(self, training: bool) -> str:
        """How the output is stored: ``NEW``, ``VIEW`` of input 0 or ``INPLACE`` over input 0
        (:mod:`cnncalc.model.saved`), at inference or in training."""
        return NEW

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        """Formulas with the numbers substituted, one line per quantity."""
        return (f"shape: {output} (unchanged)",) if output == inputs[0] else (f"shape: {output}",)

    # --- attributes -----------------------------------------------------------------------------

    @classmethod
    def attributes(cls) -> tuple[AttributeInfo, ...]:
        cached = cls.__dict__.get("_attribute_cache")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        infos = tuple(
            AttributeInfo(f.name, f.metadata["attr"], f.default, f.metadata["required"],
                          f.metadata["doc"], f.metadata["aliases"])
            for f in dataclasses.fields(cls) if "attr" in f.metadata)
        type.__setattr__(cls, "_attribute_cache", infos)
        return infos

    @classmethod
    def attribute_names(cls) -> dict[str, str]:
        """Every accepted spelling → canonical attribute name."""
        names: dict[str, str] = {}
        for info in cls.attributes():
            names[info.name] = info.name
            for alias in info.aliases:
                names[alias] = info.name
        return names

    @classmethod
    def from_attrs(cls, values: Mapping[str, Any]) -> Layer:
        """Validate and normalise attributes; errors carry the offending key."""
        spellings = cls.attribute_names()
        infos = {i.name: i for i in cls.attributes()}
        given: dict[str, Any] = {}
        seen_from: dict[str, str] = {}
        for key, given_value in values.items():
            canonical = spellings.get(key)
            if canonical is None:
                raise AttributeValueError(unknown_attribute_message(cls, key), key)
            if canonical in given:
                raise AttributeValueError(
                    f"'{key}' and '{seen_from[canonical]}' both set {canonical}", key)
            try:
                given[canonical] = infos[canonical].type.convert(given_value)
            except AttributeValueError as exc:
                raise AttributeValueError(f"{cls.kind} {canonical}: {exc}", key) from None
            seen_from[canonical] = key
        missing = [i.name for i in cls.attributes() if i.required and i.name not in given]
        if missing:
            need = ", ".join(missing)
            raise AttributeValueError(f"{cls.kind} needs {need} "
                                      f"(e.g. {cls.example()})", None)
        layer = cls(**given)
        layer.validate()
        return layer

    def validate(self) -> None:
        """Checks between attributes that need no input shape (raise AttributeValueError)."""

    @classmethod
    def example(cls) -> str:
        if cls.sample:
            return cls.sample
        required = [i for i in cls.attributes() if i.required]
        if not required:
            return f"- {cls.kind}"
        inner = ", ".join(f"{i.name}: {_EXAMPLES.get(i.name, 1)}" for i in required)
        return f"- {cls.kind}: {{{inner}}}"

    def set_attributes(self) -> dict[str, Any]:
        """Attributes that differ from their defaults (for JSON output and exported code)."""
        out: dict[str, Any] = {}
        for info in self.attributes():
            value = getattr(self, info.name)
            if info.required or value != info.default:
                out[info.name] = value
        return out

    def describe(self, rank: int = 2) -> str:
        """A short description, e.g. ``conv 3×3/2 p1``, for tables and graphs; ``rank`` is the
        number of spatial axes of the input (a scalar kernel reads ``7`` in 1-D)."""
        return self.kind


_EXAMPLES = {"out": 64, "kernel": 3, "size": 5, "output": 1}

_REGISTRY: dict[str, type[Layer]] = {}


def register(cls: type[Layer]) -> type[Layer]:
    """Class decorator: make a layer kind available to specs under its name and aliases."""
    declared = inspect.get_annotations(cls)
    if declared and "__dataclass_params__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} declares {', '.join(declared)} but is not decorated "
                        f"with @dataclass(frozen=True), so they would not be attributes")
    for name in (cls.kind, *cls.aliases):
        if not name:
            raise TypeError(f"{cls.__name__} has no kind name")
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise TypeError(f"layer kind '{name}' registered twice")
        _REGISTRY[name] = cls
    return cls


def lookup(name: str) -> type[Layer] | None:
    """The layer kind registered under ``name`` (or one of its aliases)."""
    return _REGISTRY.get(name)


def kinds() -> dict[str, type[Layer]]:
    """Canonical name → class for every registered kind, in registration order."""
    return {cls.kind: cls for cls in _REGISTRY.values()}


def all_names() -> list[str]:
    return list(_REGISTRY)


def unknown_attribute_message(cls: type[Layer], key: str) -> str:
    known = list(cls.attribute_names())
    close = suggest(key, known)
    hint = f"; did you mean '{close}'?" if close else ""
    listing = ", ".join(i.name for i in cls.attributes()) or "none"
    return f"{cls.kind} has no attribute '{key}'{hint} ({cls.kind} takes: {listing})"
