"""The memory model: parameters, gradients, optimizer state, the inference peak of live
activations and what training keeps for the backward pass (docs/memory.md).

Everything is exact integer bytes for a batch and a dtype. Two linear passes over the graph in
execution order:

* **Inference.** Each tensor is freed after its last consumer; an activation overwrites its
  input when nothing else reads that input later; views (flatten, crop, dropout) share their
  input's memory; everything else (concat included) allocates its output. ``live_bytes`` of a
  layer is what is allocated while it runs: its inputs, its output and every tensor still
  waiting for a later consumer. The peak is the largest of them.
* **Training.** What each layer kind's backward needs (:meth:`Layer.saved_for_backward`),
  counted once per storage: PyTorch keeps one buffer for a conv output that an in-place ReLU
  overwrites, and a saved tensor that several layers save (the input of an inception module's
  four branches) is kept once.

The per-kind facts live on the layer classes; this module only combines them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from cnncalc.analysis.timeline import Replayer
from cnncalc.model.graph import Graph
from cnncalc.model.saved import ACTIVATION, INDEX, INPLACE, MASK, NEW, PARAMETER, STAT, VIEW
from cnncalc.model.shape import Shape

if TYPE_CHECKING:
    from cnncalc.analysis.timeline import Timeline

DTYPE_BYTES: dict[str, int] = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1,
                               "float64": 8}
"""Bytes per element of each ``--dtype``."""

DTYPES = tuple(DTYPE_BYTES)
"""The ``--dtype`` names (``float32`` first, the default)."""

OPTIMIZER_STATES: dict[str, int] = {"sgd": 0, "momentum": 1, "adam": 2}
"""Copies of the trainable parameters an optimizer keeps: plain SGD none, SGD with momentum
one (the velocity), Adam two (first and second moments)."""

OPTIMIZERS = tuple(OPTIMIZER_STATES)
"""The ``--optimizer`` names."""

DEVICES = ("cuda", "cpu")

UNITS = "bytes (binary multiples: 1 KiB = 1024 B, 1 MiB = 1024² B, 1 GiB = 1024³ B)"


@dataclass(frozen=True, slots=True)
class MemoryConfig:
    """How the network is run: element type, optimizer, mixed precision and device.

    ``dtype`` is the type of activations (and of parameters unless ``mixed``). With ``mixed``
    (``float16``/``bfloat16`` only, as ``torch.autocast``), parameters, their gradients and the
    optimizer state stay float32 ("master weights") and a ``dtype`` copy of the weights of
    convolution and linear layers is made for the computation. ``device`` matters only for
    dropout masks: CUDA keeps a 1-byte bool per element, the CPU one element of ``dtype``.
    """

    dtype: str = "float32"
    optimizer: str = "sgd"
    mixed: bool = False
    device: str = "cuda"

    def __post_init__(self) -> None:
        if self.dtype not in DTYPE_BYTES:
            raise ValueError(f"unknown dtype {self.dtype!r} (use {', '.join(DTYPE_BYTES)})")
        if self.optimizer not in OPTIMIZER_STATES:
            raise ValueError(f"unknown optimizer {self.optimizer!r} "
                             f"(use {', '.join(OPTIMIZER_STATES)})")
        if self.device not in DEVICES:
            raise ValueError(f"unknown device {self.device!r} (use {', '.join(DEVICES)})")
        if self.mixed and self.dtype not in ("float16", "bfloat16"):
            raise ValueError(f"mixed precision keeps float32 master weights for float16 or "
                             f"bfloat16 computation, not {self.dtype}")

    @property
    def activation_bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]

    @property
    def parameter_bytes(self) -> int:
        return 4 if self.mixed else DTYPE_BYTES[self.dtype]

    def element_bytes(self, element: str) -> int:
        """Bytes of one element of a saved extra (:mod:`cnncalc.model.saved`)."""
        if element == INDEX:
            return 8
        if element == STAT:
            return 4
        if element == PARAMETER:
            return self.parameter_bytes
        if element == MASK and self.device == "cuda":
            return 1
        if element in (MASK, ACTIVATION):
            return self.activation_bytes
        raise ValueError(f"unknown element type {element!r}")

    def describe(self) -> str:
        """``float16 mixed precision (float32 master weights), Adam`` and the like."""
        text = (f"{self.dtype} mixed precision (float32 master weights)" if self.mixed
                else self.dtype)
        return f"{text}, {OPTIMIZER_NAMES[self.optimizer]}"

    def to_dict(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "mixed": self.mixed, "optimizer": self.optimizer,
                "device": self.device, "activation_element_bytes": self.activation_bytes,
                "parameter_element_bytes": self.parameter_bytes, "units": UNITS}


OPTIMIZER_NAMES = {"sgd": "SGD (no optimizer state)", "momentum": "SGD with momentum (1 copy)",
                   "adam": "Adam (2 copies)"}


@dataclass(frozen=True, slots=True)
class MemoryTotals:
    """The memory of one network for one batch and config, in bytes.

    ``to_dict`` gives the figures of the JSON contract; the other fields say where the
    inference peak is and how the figures scale with the batch. ``timeline`` is the op-by-op
    replay of inference and of a training step (:mod:`cnncalc.analysis.timeline`): its peaks
    are what ``--fit`` and memory budgets use.
    """

    config: MemoryConfig
    batch: int
    params_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    activations_inference_peak_bytes: int
    activations_training_bytes: int
    peak_layer: str | None
    inference_per_sample: int
    training_per_sample: int
    training_fixed: int
    replayer: Replayer | None = field(default=None, compare=False, repr=False)

    @property
    def timeline(self) -> Timeline | None:
        """The op-by-op replay of inference and of a training step at this batch
        (:mod:`cnncalc.analysis.timeline`), replayed the first time it is asked for."""
        return None if self.replayer is None else self.replayer.timeline(self.batch)

    @property
    def training_step_bytes(self) -> int:
        """Parameters + gradients + optimizer state + activations kept for backward."""
        return (self.params_bytes + self.gradients_bytes + self.optimizer_bytes
                + self.activations_training_bytes)

    @property
    def inference_bytes(self) -> int:
        """Parameters + the peak of live activations."""
        return self.params_bytes + self.activations_inference_peak_bytes

    def inference_at(self, batch: int) -> int:
        return self.params_bytes + batch * self.inference_per_sample

    def training_at(self, batch: int) -> int:
        return (self.params_bytes + self.gradients_bytes + self.optimizer_bytes
                + self.training_fixed + batch * self.training_per_sample)

    def largest_batch(self, budget: int) -> tuple[int, int]:
        """The largest batch whose inference and whose training step fit in ``budget`` bytes
        (0 when not even batch 1 does): from the timeline's peaks at their high end, with the
        parameters and the input, when there is a timeline."""
        timeline = self.timeline
        if timeline is not None:
            return timeline.largest_batch(budget)
        state = self.params_bytes + self.gradients_bytes + self.optimizer_bytes
        return (_fit(budget - self.params_bytes, self.inference_per_sample),
                _fit(budget - state - self.training_fixed, self.training_per_sample))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "params_bytes": self.params_bytes, "gradients_bytes": self.gradients_bytes,
            "optimizer_bytes": self.optimizer_bytes,
            "activations_inference_peak_bytes": self.activations_inference_peak_bytes,
            "activations_training_bytes": self.activations_training_bytes,
            "training_step_bytes": self.training_step_bytes}
        timeline = self.timeline
        if timeline is not None:
            out["peak_inference_bytes"] = timeline.inference.likely
            out["peak_training_step_bytes"] = timeline.training.likely
            out["peaks"] = {"inference": timeline.inference.to_dict(),
                            "training_step": timeline.training.to_dict()}
        return out


def _fit(room: int, per_sample: int) -> int:
    if room < per_sample or room <= 0:
        return 0
    if per_sample <= 0:
        return 0
    return room // per_sample


@dataclass(frozen=True, slots=True)
class MemoryPlan:
    """The memory of a network for one batch and config: per layer, in graph order, its
    output's size, the live memory while it runs (inference), the bytes it newly keeps for
    backward (training) and whether at inference its output reuses its input's memory; and the
    totals. One tuple per figure, not one object per layer: a network may have a hundred
    thousand layers."""

    activation_bytes: tuple[int, ...]
    live_bytes: tuple[int, ...]
    saved_bytes: tuple[int, ...]
    reuses_input: tuple[bool, ...]
    totals: MemoryTotals


class LayerFacts(Protocol):
    """What the memory model needs to know about one analysed layer: a :class:`LayerReport`
    has it, and so has the walk's result for a layer before the report is made."""

    @property
    def input_shapes(self) -> tuple[Shape, ...]: ...

    @property
    def output_shape(self) -> Shape: ...

    @property
    def params(self) -> int: ...

    @property
    def buffers(self) -> int: ...


class _Storage:
    """A buffer that one or more tensors live in (a tensor, its views, in-place results)."""

    __slots__ = ("freed", "nbytes", "readers", "saved")

    def __init__(self, nbytes: int) -> None:
        self.nbytes = nbytes
        self.readers = 0
        self.saved = False
        self.freed = False


def plan(graph: Graph, input_numel: int, layers: Sequence[LayerFacts], batch: int,
         config: MemoryConfig) -> MemoryPlan:
    """The memory of ``graph`` whose nodes were analysed into ``layers`` (in the same order),
    for ``batch`` samples; linear in the number of layers."""
    item = config.activation_bytes
    sources = graph.sources  # the first input at ``input_numel``, the others as the spec says
    input_bytes = {name: (input_numel if k == 0 else shape.numel) * item
                   for k, (name, shape) in enumerate(sources.items())}
    readers: dict[str, int] = dict.fromkeys(sources, 0)
    for node in graph.nodes:
        readers[node.name] = 0
        for src in node.inputs:
            readers[src] += 1
    readers[graph.output] += 1  # the network's output is kept
    output_bytes = [r.output_shape.numel * item for r in layers]  # per sample
    params_per_layer = [r.params for r in layers]
    live, reuses, peak, peak_layer = _inference(graph, layers, output_bytes, readers,
                                                input_bytes)
    saved, per_sample, fixed, working_copy = _training(graph, layers, output_bytes,
                                                       params_per_layer, readers, input_bytes,
                                                       batch, config)
    params = sum(params_per_layer)
    buffers = sum(r.buffers for r in layers)
    trainable = sum(p for p, node in zip(params_per_layer, graph.nodes) if node.trainable)
    pbytes = config.parameter_bytes
    totals = MemoryTotals(
        config=config, batch=batch,
        params_bytes=(params + buffers) * pbytes + working_copy,
        gradients_bytes=trainable * pbytes,
        optimizer_bytes=trainable * pbytes * OPTIMIZER_STATES[config.optimizer],
        activations_inference_peak_bytes=peak * batch,
        activations_training_bytes=per_sample * batch + fixed,
        peak_layer=peak_layer, inference_per_sample=peak, training_per_sample=per_sample,
        training_fixed=fixed)
    return MemoryPlan(activation_bytes=tuple(b * batch for b in output_bytes),
                      live_bytes=tuple(lv * batch for lv in live), saved_bytes=tuple(saved),
                      reuses_input=tuple(reuses), totals=totals)


def _inference(graph: Graph, layers: Sequence[LayerFacts], output_bytes: Sequence[int],
               readers: dict[str, int], input_bytes: dict[str, int]
               ) -> tuple[list[int], list[bool], int, str | None]:
    """Liveness over the execution order, per sample: each layer's live bytes, whether it
    reuses an input's buffer, and the peak with its layer."""
    storage: dict[str, _Storage] = {name: _Storage(n) for name, n in input_bytes.items()}
    for name in input_bytes:
        storage[name].readers = readers[name] + 1  # the caller holds the inputs throughout
    live = sum(input_bytes.values())
    peak, peak_layer = live, None
    live_per_layer: list[int] = []
    reuses: list[bool] = []
    for node, rep, nbytes in zip(graph.nodes, layers, output_bytes):
        mode = node.layer.output_storage(False)
        target: _Storage | None = None
        if node.inputs and mode == VIEW:
            target = storage[node.inputs[0]]
        elif node.inputs and mode == INPLACE:
            for src, shape in zip(node.inputs, rep.input_shapes):
                # overwrite an input of the output's shape (not one broadcast to it) that
                # nothing reads later
                if (src not in input_bytes and storage[src].readers == node.inputs.count(src)
                        and shape == rep.output_shape):
                    target = storage[src]
                    break
        reuses.append(target is not None)
        if target is None:
            target = _Storage(nbytes)
            live += nbytes
        storage[node.name] = target
        target.readers += readers[node.name]
        live_per_layer.append(live)
        if live > peak:
            peak, peak_layer = live, node.name
        for src in node.inputs:
            storage[src].readers -= 1
        if len(node.inputs) == 1:  # most layers: no need to deduplicate buffers
            first = storage[node.inputs[0]]
            touched: Iterable[_Storage] = (first,) if first is target else (first, target)
        else:
            touched = {id(b): b for b in [*(storage[src] for src in node.inputs),
                                          target]}.values()
        for buf in touched:
            if buf.readers == 0 and not buf.freed:  # after its last reader (or never read)
                buf.freed = True
                live -= buf.nbytes
    return live_per_layer, reuses, peak, peak_layer


def _training(graph: Graph, layers: Sequence[LayerFacts], output_bytes: Sequence[int],
              params: Sequence[int], readers: dict[str, int], input_bytes: dict[str, int],
              batch: int, config: MemoryConfig) -> tuple[list[int], int, int, int]:
    """What autograd keeps, once per buffer: per layer the bytes it adds (for ``batch``), the
    per-sample and the fixed totals, and the ``--mixed`` working copy of the weights."""
    storage: dict[str, _Storage] = {name: _Storage(n) for name, n in input_bytes.items()}
    grad: dict[str, bool] = dict.fromkeys(input_bytes, False)
    fresh: dict[str, bool] = dict.fromkeys(input_bytes, False)
    saved_per_layer: list[int] = []
    per_sample = fixed = working_copy = 0
    # a layer that shares another's weights (``Node.shares``) counts none, yet trains them
    owners = {node.name: (node, rep) for node, rep in zip(graph.nodes, layers) if rep.params}
    for node, rep, nbytes, layer_params in zip(graph.nodes, layers, output_bytes, params):
        mode = node.layer.output_storage(True)
        if mode == INPLACE and not (len(node.inputs) == 1 and fresh[node.inputs[0]]
                                    and readers[node.inputs[0]] == 1):
            mode = NEW  # as cnncalc's PyTorch export: in place only over a fresh, unshared input
        if node.inputs and mode in (VIEW, INPLACE):
            storage[node.name] = storage[node.inputs[0]]
        else:
            storage[node.name] = _Storage(nbytes)
        fresh[node.name] = mode == NEW
        owner, owned = owners.get(node.shares or "", (node, rep))
        weight_grad = owner.trainable and owned.params > 0
        needs = weight_grad or any(grad[src] for src in node.inputs)
        grad[node.name] = needs  # autograd records nothing until something needs a gradient
        saved = node.layer.saved_for_backward(rep.input_shapes, rep.output_shape, weight_grad)
        if config.mixed and saved.weights:
            working_copy += layer_params * config.activation_bytes
        if not needs:
            saved_per_layer.append(0)
            continue
        new = 0
        if saved.factors:  # a product keeps a factor only for another factor's gradient
            kept = [storage[node.inputs[i]] for i in saved.inputs
                    if any(grad[src] for j, src in enumerate(node.inputs) if j != i)]
        else:
            kept = [storage[node.inputs[i]] for i in saved.inputs]
        if saved.output:
            kept.append(storage[node.name])
        for buf in kept:
            if not buf.saved:
                buf.saved = True
                new += buf.nbytes
        layer_fixed = 0
        for extra in saved.extra:
            size = config.element_bytes(extra.element)
            new += extra.per_sample * size
            layer_fixed += extra.fixed * size
        per_sample += new
        fixed += layer_fixed
        saved_per_layer.append(new * batch + layer_fixed)
    return saved_per_layer, per_sample, fixed, working_copy


