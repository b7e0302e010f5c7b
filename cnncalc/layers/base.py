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
from functools import cache
from typing import Any, ClassVar

from cnncalc.model.attrs import Attr
from cnncalc.model.errors import AttributeValueError, suggest
from cnncalc.model.geometry import Window
from cnncalc.model.rf import IDENTITY_AXIS, AxisMap
from cnncalc.model.saved import NEW, NOTHING, VIEW, Extra, Saved, Workspace
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
    example_layer: ClassVar[str] = ""
    """The kind as one list item of a spec, where its required attributes alone do not make a
    working example (``- upsample: {scale: 2}``); tests/test_layers.py runs every example."""
    example_input: ClassVar[str] = "[8, 32, 32]"
    """The input the example is written for (``[512]`` for a layer on flat vectors)."""

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
        for kinds without a sliding window, nor on axes whose windows skip pixels between them
        by design (:attr:`Window.tiles`). ``summary``, ``check`` and ``--sweep-input`` all read
        this one answer."""
        x = inputs[0]
        ws = self.windows(x)
        if ws is None:
            return tuple(0 for _ in x.spatial)
        return tuple(w.dropped(i) for i, w in zip(x.spatial, ws))

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

    # --- the memory timeline (cnncalc/analysis/timeline.py, docs/memory.md) -------------------

    def eager_storage(self, training: bool) -> str:
        """How eager PyTorch stores the output: ``NEW``, ``VIEW`` of input 0 or ``INPLACE`` over
        input 0, in place only where the layer asks for it, as PyTorch does. Default:
        :meth:`output_storage`."""
        return self.output_storage(training)

    def gradient_storage(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        """How the backward pass hands each input its gradient: ``NEW`` (a fresh tensor the
        input's size) or ``VIEW`` (a view of the output's gradient: a reshape, add's
        pass-through, concat's slices). Default: ``VIEW`` for a layer whose output is a view of
        its input, else ``NEW``."""
        return (VIEW if self.output_storage(True) == VIEW else NEW,) * len(inputs)

    def output_layout(self, inputs: tuple[Shape, ...], channels_last: bool) -> bool:
        """Whether eager PyTorch stores the output channels-last (the channel axis innermost),
        given whether input 0 is. Default: as input 0 (PyTorch's ops follow their input's
        memory format); a flat output has no layout."""
        return channels_last

    def layout_copies(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Extra, ...]:
        """What backward copies because input 0 is channels-last: AccumulateGrad copies a
        weight's gradient that came out channels-last into the weight's own layout. Default:
        nothing."""
        return ()

    def parameter_gradient_scratch(self, inputs: tuple[Shape, ...],
                                   output: Shape) -> tuple[Extra, ...]:
        """What backward allocates to make the parameters' gradients and frees before it ends
        (layer scale's γ: the product ``grad · x``, the output's size, summed down to C); asked
        only when the parameters are trained. Default: nothing."""
        return ()

    returns_view: ClassVar[bool] = False
    """Whether the output eager PyTorch returns is a view of a tensor made inside the op
    (instance norm reshapes a batch norm's output). An in-place layer on such an output is
    rebased by autograd (``CopySlices``), whose backward copies the gradient twice more."""

    parameter_gradients_after: ClassVar[bool] = False
    """Whether backward makes the parameters' gradients only after its op has run and freed
    its :meth:`transients` (instance norm sums the gradients of γ and β repeated per sample);
    else they are allocated by the op, beside its temporaries."""

    def gradient_inputs(self, count: int) -> tuple[int, ...]:
        """The inputs the op is differentiated with respect to (of ``count``); the others are
        read for their shape only (crop's ``like``). Default: all."""
        return tuple(range(count))

    def padded_input(self, inputs: tuple[Shape, ...], training: bool = True) -> Shape | None:
        """The shape of the copy PyTorch pads input 0 into before the op when the padding is
        asymmetric (``F.pad``, then the op without padding, which reads the copy and saves it
        in place of the input); None when the op pads by itself. Default: from
        :meth:`windows`, for padding that differs before and after."""
        ws = self.windows(inputs[0])
        if ws is None or all(w.pb == w.pa for w in ws):
            return None
        x = inputs[0]
        return Shape(x.channels, tuple(i + w.pb + w.pa for i, w in zip(x.spatial, ws)))

    def transients(self, inputs: tuple[Shape, ...], output: Shape, training: bool,
                   backward: bool = False) -> tuple[Extra, ...]:
        """Tensors a layer made of several PyTorch ops (``lrn``) passes between them in its
        forward pass (or with ``backward`` its backward pass) and frees before it ends, besides
        its output, the gradients and what it saves for backward. Default: none."""
        return ()

    def workspace(self, inputs: tuple[Shape, ...], output: Shape, training: bool,
                  backward: bool = False) -> Workspace | None:
        """Memory the forward op (or with ``backward`` its backward) allocates and frees
        inside one call, which the CUDA caching allocator counts: a cuDNN convolution's
        workspace (its size depends on the algorithm cuDNN picks), max pooling's indices at
        inference. Default: none."""
        return None

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[str, ...]:
        """Formulas with the numbers substituted, one line per quantity."""
        return (f"shape: {output} (unchanged)",) if output == inputs[0] else (f"shape: {output}",)

    # --- attributes -----------------------------------------------------------------------------

    @classmethod
    @cache
    def attributes(cls) -> tuple[AttributeInfo, ...]:
        """The attributes the kind declares, in order (worked out once per kind)."""
        return tuple(
            AttributeInfo(f.name, f.metadata["attr"], f.default, f.metadata["required"],
                          f.metadata["doc"], f.metadata["aliases"])
            for f in dataclasses.fields(cls) if "attr" in f.metadata)

    @classmethod
    @cache
    def attribute_names(cls) -> Mapping[str, str]:
        """Every accepted spelling → canonical attribute name (worked out once per kind)."""
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
                raise AttributeValueError(unknown_attribute_message(cls, key, given_value), key)
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
        """The kind as one list item of a spec: ``- conv: {out: 64, kernel: 3}``."""
        if cls.example_layer:
            return cls.example_layer
        required = [i for i in cls.attributes() if i.required]
        if not required:
            return f"- {cls.kind}"
        inner = ", ".join(f"{i.name}: {_EXAMPLES.get(i.name, 1)}" for i in required)
        return f"- {cls.kind}: {{{inner}}}"

    @classmethod
    def example_spec(cls) -> str:
        """A whole spec that uses the kind, runnable as it stands (``cnncalc kinds KIND``)."""
        return f"input: {cls.example_input}\nlayers:\n  {cls.example()}\n"

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


_INFERRED = frozenset(("in_channels", "in_features", "in_planes", "in_size", "input_channels",
                       "input_dim", "input_shape", "input_size", "num_input_features"))
"""Other frameworks' names for a layer's input size, which a spec never writes."""
_NO_EFFECT = frozenset((
    "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
    "activity_regularizer", "kernel_constraint", "bias_constraint", "padding_mode", "device",
    "dtype", "init", "weight_init", "initializer"))
"""Other frameworks' layer arguments that change no shape, parameter count or MAC count."""


def foreign_attribute_hint(kind: str, key: str, value: object = None) -> str | None:
    """What an attribute name from PyTorch or Keras means in a spec, when it is one that a
    spelling suggestion would get wrong (``in_channels`` is not a misspelt ``out_channels``)."""
    if key in _INFERRED:
        return (f"'{key}' is not written in a spec: cnncalc infers each layer's input from the "
                f"layer before it (delete it)")
    if key == "activation":
        shown = value if isinstance(value, str) and value.isidentifier() else "relu"
        if shown in ("linear", "none", "None"):
            return "activation is a layer of its own in a spec, and 'linear' is none (delete it)"
        return (f"an activation is a layer of its own in a spec: delete 'activation: {shown}' "
                f"and add '- {shown}' on the next line, after this {kind}")
    if key == "data_format":
        return ("shapes in a spec are always channels first, as in PyTorch (delete "
                "data_format and write the input as [channels, height, width])")
    if key in _NO_EFFECT:
        return f"'{key}' changes no shape or count, so a spec has no use for it (delete it)"
    return None


def unknown_attribute_message(cls: type[Layer], key: str, value: object = None) -> str:
    listing = ", ".join(i.name for i in cls.attributes()) or "none"
    foreign = foreign_attribute_hint(cls.kind, key, value)
    if foreign is not None:
        return f"{cls.kind} has no attribute '{key}': {foreign} ({cls.kind} takes: {listing})"
    known = list(cls.attribute_names())
    close = suggest(key, known)
    hint = f"; did you mean '{close}'?" if close else ""
    return f"{cls.kind} has no attribute '{key}'{hint} ({cls.kind} takes: {listing})"
