"""The memory timeline: eager PyTorch replayed op by op, for the peak memory of inference and of
one training step (docs/memory.md, "Peak memory: the timeline").

Every tensor is followed from the op that allocates it to the moment its last holder lets go:

* **Inference** (``eval()``, ``torch.no_grad()``): each layer allocates its output (unless it
  is a view, or an in-place activation over a fresh tensor) and what it needs only while it
  runs (max pooling's indices, a cuDNN workspace); a tensor is freed after its last reader.
* **A training step** (``train()``, one forward pass, ``out.float().sum().backward()``,
  ``optimizer.step()``): in the forward pass what a layer saves for backward
  (:meth:`Layer.saved_for_backward`) stays allocated until that layer's backward has run;
  the backward pass visits the layers in reverse, allocates each input's gradient (or passes a
  view of its own), the parameters' gradients (kept), and frees the output's gradient and the
  saved tensors as it goes; gradients meeting at a tensor read twice are added in place when
  the first one is not shared, else into a new tensor; the optimizer's step then creates its
  state (SGD with momentum: one buffer per parameter; Adam: two) and its temporaries.

Figures are bytes above the parameters, buffers and input, as ``max_memory_allocated() −
memory_allocated()`` measures them; on ``cuda`` they are counted as PyTorch's caching allocator
counts (:mod:`cnncalc.analysis.allocator`), on ``cpu`` at the tensors' exact sizes. Where a
figure depends on a workspace cnncalc cannot know, one replay drives three counts: without any
workspace (``low``), with the likely one and with the largest (``high``).

The per-kind facts are the timeline hooks of :class:`cnncalc.layers.base.Layer`
(``eager_storage``, ``gradient_storage``, ``gradient_inputs``, ``padded_input``,
``transients``, ``workspace``, with ``saved_for_backward`` and ``counts``); this module only
combines them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import TYPE_CHECKING

from cnncalc.analysis.allocator import CachingAllocator, ExactCounter
from cnncalc.model.graph import Graph
from cnncalc.model.saved import INPLACE, NEW, REDUCED, VIEW, Extra
from cnncalc.model.shape import Shape

if TYPE_CHECKING:
    from cnncalc.analysis.memory import LayerFacts, MemoryConfig
    from cnncalc.layers.base import Layer

FORWARD = "forward"
BACKWARD = "backward"
STEP = "optimizer step"

ACTIVATIONS = "activations"
"""Layer outputs and what layers keep for backward (and the loss)."""
GRADIENTS = "activation gradients"
PARAMETER_GRADIENTS = "parameter gradients"
OPTIMIZER_STATE = "optimizer state"
SCRATCH = "workspaces and temporaries"
"""cuDNN workspaces, an op's temporaries, padded and autocast copies."""
PARTS = (ACTIVATIONS, GRADIENTS, PARAMETER_GRADIENTS, OPTIMIZER_STATE, SCRATCH)

LOW, LIKELY, HIGH = 0, 1, 2
"""The three counts of a replay on CUDA: no workspace, each tensor counted at its 512-byte
multiple (the least the caching allocator can count); the likely workspace, counted by the
replayed caching allocator; the largest workspace, counted so and raised by
:data:`ALLOCATOR_MARGIN_PERCENT`."""

ALLOCATOR_MARGIN_PERCENT = 5
"""How much more than the replayed caching allocator the high end allows for on CUDA. The
replay starts from the parameters' and the input's segments only; what the real cache holds
(from a warm-up, a previous step) decides which cached blocks large requests reuse, and a
block reused with up to 1 MiB to spare is counted whole. On the reference networks
(../shared/reference.md, H100) the replay with the largest workspaces fell short of the
measured peak by at most 3.4 % (GoogLeNet's training step at batch 1)."""


@dataclass(frozen=True, slots=True)
class Point:
    """One op of the timeline: the layer (or ``loss``, ``optimizer``), the phase, and the bytes
    allocated while it runs (above the parameters and the input)."""

    layer: str
    phase: str
    live: int


@dataclass(frozen=True, slots=True)
class Peak:
    """The peak of one timeline: ``likely`` (the estimate), the interval ``low``..``high``
    that a workspace cnncalc cannot know leaves open, where it happens, and what the likely
    peak is made of (:data:`PARTS`, as the allocator counts them)."""

    low: int
    likely: int
    high: int
    layer: str | None
    phase: str
    parts: tuple[tuple[str, int], ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"bytes": self.likely, "low": self.low, "high": self.high,
                "layer": self.layer, "phase": self.phase, "parts": dict(self.parts)}


@dataclass(frozen=True, slots=True)
class Timeline:
    """Both timelines of a network for one batch and config: their peaks, and one point per
    op of the likely replays (for a memory profile)."""

    batch: int
    inference: Peak
    training: Peak
    inference_points: tuple[Point, ...] = field(repr=False)
    training_points: tuple[Point, ...] = field(repr=False)
    replayer: Replayer = field(compare=False, repr=False)

    def largest_batch(self, budget: int) -> tuple[int, int]:
        """The largest batch whose inference, and whose training step, fits in ``budget``
        bytes at the high end of its interval, with the parameters and the input (0 when not
        even batch 1 does)."""
        return (self.replayer.largest_batch(budget, training=False),
                self.replayer.largest_batch(budget, training=True))


class Replayer:
    """What a timeline is replayed from: the graph, its layers as the walk analysed them, the
    input's shape and the memory config; any batch. Nothing is replayed until a timeline is
    asked for (the walk stays a single cheap pass); then what the layers' hooks say is asked
    once per distinct (layer, input shapes) — the builder interns equal layers — so that a
    replay is arithmetic and allocator work only, and each batch's timeline is kept."""

    __slots__ = ("_ops", "_readers", "_timelines", "config", "graph", "input_shape", "layers")

    def __init__(self, graph: Graph, layers: tuple[LayerFacts, ...], input_shape: Shape,
                 config: MemoryConfig) -> None:
        self.graph = graph
        self.layers = layers
        self.input_shape = input_shape
        self.config = config
        self._ops: tuple[_Op, ...] | None = None
        self._readers: dict[str, int] = {}
        self._timelines: dict[int, Timeline] = {}

    @property
    def ops(self) -> tuple[_Op, ...]:
        """Each layer's facts, in the graph's order."""
        if self._ops is None:
            memo: dict[tuple[int, tuple[Shape, ...], bool, int], _Op] = {}
            ops = []
            trainable = {node.name: node.trainable for node in self.graph.nodes}
            for node, facts in zip(self.graph.nodes, self.layers):
                # a layer sharing another's weights trains them as their owner says
                trains = trainable[node.shares] if node.shares else node.trainable
                key = (id(node.layer), facts.input_shapes, trains, len(node.inputs))
                op = memo.get(key)
                if op is None:
                    op = memo[key] = _Op(node.layer, facts, trains, len(node.inputs))
                ops.append(op)
            self._ops = tuple(ops)
            self._readers = _readers(self.graph)
        return self._ops

    @property
    def readers(self) -> dict[str, int]:
        """How many later inputs read each tensor."""
        if self._ops is None:
            _ = self.ops
        return self._readers

    def timeline(self, batch: int) -> Timeline:
        """Both timelines for ``batch``, each one replay, linear in the layers (computed once
        per batch)."""
        cached = self._timelines.get(batch)
        if cached is None:
            inference, training = _inference(self, batch), _training(self, batch)
            cached = self._timelines[batch] = Timeline(
                batch, inference.result(), training.result(), tuple(inference.points),
                tuple(training.points), self)
        return cached

    def state_bytes(self, batch: int) -> int:
        """The parameters, buffers and input the peaks are measured above, as counted."""
        return _Replay(self, batch).bases[-1]

    def high(self, batch: int, training: bool) -> int:
        """The high end of one timeline's peak, with the parameters and the input."""
        run = (_training if training else _inference)(self, batch)
        return run.bases[-1] + run.result().high

    def largest_batch(self, budget: int, training: bool) -> int:
        """The largest batch that :meth:`high` fits in ``budget`` (0 if none): doubling, then
        bisecting; every batch named has been replayed and fits."""
        fits, over = 0, 1
        while self.high(over, training) <= budget:
            fits, over = over, over * 2
            if over > MAX_FIT_BATCH:
                return fits
        while over - fits > 1:
            middle = (fits + over) // 2
            if self.high(middle, training) <= budget:
                fits = middle
            else:
                over = middle
        return fits


MAX_FIT_BATCH = 1 << 24
"""``--fit`` looks no further than this batch (16,777,216 samples)."""


def replay_timeline(graph: Graph, layers: Sequence[LayerFacts], batch: int,
                    config: MemoryConfig, input_shape: Shape | None = None) -> Timeline:
    """Both timelines of ``graph``, whose nodes were analysed into ``layers``, for ``batch``
    samples of ``input_shape`` (default: the spec's)."""
    return Replayer(graph, tuple(layers), input_shape or graph.input_shape,
                    config).timeline(batch)


class _Op:
    """What a layer's hooks say, for its input shapes: asked once (see :class:`Replayer`)."""

    __slots__ = ("buffers", "copies", "gradient_inputs", "gradient_modes", "gradient_scratch",
                 "late_gradients",
                 "padded", "saved", "storage", "tensors", "transients", "weight_grad",
                 "workspace")

    def __init__(self, layer: Layer, facts: LayerFacts, trainable: bool, inputs: int) -> None:
        ins, out = facts.input_shapes, facts.output_shape
        counts = layer.counts(ins, out)
        self.tensors = tuple(n for n in (counts.weights, counts.bias) if n)
        self.buffers = counts.buffers
        self.weight_grad = trainable and counts.params > 0
        self.saved = layer.saved_for_backward(ins, out, self.weight_grad)
        # autocast copies the parameters of the layers that compute with their weights
        self.copies = layer.saved_for_backward(ins, out, True).weights
        self.padded = {False: layer.padded_input(ins, False),
                       True: layer.padded_input(ins, True)}
        self.storage = {False: layer.eager_storage(False), True: layer.eager_storage(True)}
        self.gradient_modes = layer.gradient_storage(ins, out)
        self.gradient_inputs = layer.gradient_inputs(inputs)
        self.late_gradients = layer.parameter_gradients_after
        self.gradient_scratch = (layer.parameter_gradient_scratch(ins, out) if self.weight_grad
                                 else ())
        phases = ((False, False), (True, False), (True, True))
        self.transients = {p: layer.transients(ins, out, *p) for p in phases}
        self.workspace = {p: layer.workspace(ins, out, *p) for p in phases}


class _Buffer:
    """A storage: the tensors that share it (views, in-place results), who holds it, what it
    is (:data:`PARTS`), its allocation in each count and the bytes the likely one counts."""

    __slots__ = ("counted", "handles", "holders", "part")

    def __init__(self, handles: tuple[int, ...], counted: int, part: str, holders: int) -> None:
        self.handles = handles
        self.counted = counted
        self.part = part
        self.holders = holders


class _Grad:
    """A gradient waiting at a tensor: its buffer and whether it covers the whole buffer (a
    slice of a concat's gradient does not, and is never added to in place)."""

    __slots__ = ("buffer", "whole")

    def __init__(self, buffer: _Buffer, whole: bool) -> None:
        self.buffer = buffer
        self.whole = whole


class _Replay:
    """One replay: the buffers it holds, the points it passes, and its counts. On CUDA three
    allocators follow the same tensors at once: :data:`LOW` (no workspace, 512-byte rounding
    only), :data:`LIKELY` and :data:`HIGH` (the replayed caching allocator, each with its own
    workspaces); on the CPU one exact count."""

    def __init__(self, source: Replayer, batch: int) -> None:
        config = source.config
        self.cuda = config.device == "cuda"
        self.memories: tuple[CachingAllocator | ExactCounter, ...] = (
            (ExactCounter(rounded=True), CachingAllocator(), CachingAllocator()) if self.cuda
            else (ExactCounter(),))
        self.likely = self.memories[LIKELY if self.cuda else 0]
        self.points: list[Point] = []
        self.peak_point: Point | None = None
        # The model and the input come first, as in the reference protocol: every parameter
        # and buffer (running mean, running variance, an int64 batch counter) in the order
        # the layers come, then the input. Their segments' free ends are what later requests
        # find cached; the figures are bytes above them.
        pbytes = config.parameter_bytes
        sizes = []
        for node, op in zip(source.graph.nodes, source.ops):
            if node.shares:
                continue  # the owner's weights
            sizes += [n * pbytes for n in op.tensors]
            if op.buffers:
                sizes += [op.buffers // 2 * pbytes] * 2 + [8]
        for k, shape in enumerate(source.graph.sources.values()):  # the first at the asked size
            sizes.append((source.input_shape if k == 0 else shape).numel * batch
                         * _input_bytes(config))
        self.bases = []
        for memory in self.memories:
            for n in sizes:
                memory.malloc(n)
            memory.reset_peak()
            self.bases.append(memory.allocated)
        self.base = self.likely.allocated
        self.parts = dict.fromkeys(PARTS, 0)
        self.peak_parts: tuple[tuple[str, int], ...] = ()

    def peak(self, which: int) -> int:
        """The peak of one count, above the parameters and the input."""
        if not self.cuda:
            which = 0
        return self.memories[which].peak - self.bases[which]

    def alloc(self, nbytes: int, holders: int = 1, part: str = ACTIVATIONS,
              workspace: tuple[int, ...] | None = None) -> _Buffer:
        """A buffer of ``nbytes`` (or for a workspace, the bytes each count allocates)."""
        sizes = workspace if workspace is not None and self.cuda else (nbytes,) * 3
        before = self.likely.allocated
        handles = tuple(m.malloc(n) for m, n in zip(self.memories, sizes))
        counted = self.likely.allocated - before
        self.parts[part] += counted
        return _Buffer(handles, counted, part, holders)

    def hold(self, buf: _Buffer, count: int = 1) -> None:
        buf.holders += count

    def drop(self, buf: _Buffer, count: int = 1) -> None:
        buf.holders -= count
        if buf.holders == 0:
            for memory, handle in zip(self.memories, buf.handles):
                memory.free(handle)
            self.parts[buf.part] -= buf.counted

    def mark(self, layer: str, phase: str) -> None:
        point = Point(layer, phase, self.likely.allocated - self.base)
        self.points.append(point)
        if self.peak_point is None or point.live > self.peak_point.live:
            self.peak_point = point
            self.peak_parts = tuple((part, n) for part, n in self.parts.items() if n)

    def result(self) -> Peak:
        where = self.peak_point
        likely = self.peak(LIKELY)
        high = self.peak(HIGH)
        if self.cuda:
            high += high * ALLOCATOR_MARGIN_PERCENT // 100
        return Peak(self.peak(LOW), likely, max(high, likely),
                    where.layer if where else None, where.phase if where else FORWARD,
                    self.peak_parts)


def _element_bytes(config: MemoryConfig, extra: Extra) -> int:
    return config.element_bytes(extra.element)


def _extra_bytes(extra: Extra, batch: int, config: MemoryConfig) -> int:
    return (extra.per_sample * batch + extra.fixed) * _element_bytes(config, extra)


def _readers(graph: Graph) -> dict[str, int]:
    """How many inputs of later layers read each tensor (the network's output counts one more:
    the caller keeps it)."""
    readers: dict[str, int] = dict.fromkeys(graph.sources, 0)
    for node in graph.nodes:
        readers[node.name] = 0
        for src in node.inputs:
            readers[src] += 1
    readers[graph.output] += 1
    return readers


def _storage(source: Replayer, training: bool) -> dict[str, str]:
    """Each layer's eager storage, with in-place allowed only over a fresh tensor (made by a
    layer that allocates its output) that nothing else reads, as cnncalc's PyTorch export
    writes it."""
    readers = source.readers
    fresh: dict[str, bool] = dict.fromkeys(source.graph.sources, False)
    out: dict[str, str] = {}
    for node, op in zip(source.graph.nodes, source.ops):
        mode = op.storage[training]
        sole = (len(node.inputs) == 1 and fresh[node.inputs[0]]
                and readers[node.inputs[0]] == 1)
        if not node.inputs or (mode == INPLACE and not sole):
            mode = NEW
        out[node.name] = mode
        fresh[node.name] = mode == NEW
    return out


def _scratch(run: _Replay, op: _Op, batch: int, config: MemoryConfig, training: bool,
             backward: bool) -> list[_Buffer]:
    """Allocate what the layer's op (or its backward) passes between its ops, and on CUDA its
    workspace, for the replay's choice of workspace."""
    temps = [run.alloc(_extra_bytes(t, batch, config), part=SCRATCH)
             for t in op.transients[training, backward]]
    ws = op.workspace[training, backward]
    if ws is not None and run.cuda:  # on the CPU what a call frees before returning is no
        for sizes in zip_longest(ws.least, ws.likely, ws.most):  # live tensor
            counts = tuple(0 if e is None else _extra_bytes(e, batch, config) for e in sizes)
            temps.append(run.alloc(0, part=SCRATCH, workspace=counts))
    return temps


def _numel_bytes(shape: Shape, batch: int, item: int) -> int:
    return shape.numel * batch * item


def _input_bytes(config: MemoryConfig) -> int:
    """Bytes per element of the input: float32 under autocast (``--mixed``), else --dtype."""
    return 4 if config.mixed else config.activation_bytes


def _output(run: _Replay, buffers: dict[str, _Buffer | None], inputs: tuple[str, ...],
            mode: str, readers: int, nbytes: int) -> _Buffer | None:
    """A layer's output, held for its ``readers``: input 0's buffer for a view or an in-place
    result (None when that is the caller's input), else a new buffer of ``nbytes``."""
    if mode in (VIEW, INPLACE):
        out = buffers[inputs[0]]
        if out is not None:
            run.hold(out, readers)
        return out
    return run.alloc(nbytes, readers)


def _release(run: _Replay, buffers: dict[str, _Buffer | None], inputs: tuple[str, ...],
             out: _Buffer | None, readers: int) -> None:
    """After a layer has run: its output freed at once when nothing reads it, and its hold on
    each input let go."""
    if out is not None and readers == 0:
        run.hold(out)
        run.drop(out)
    for src in inputs:
        buf = buffers[src]
        if buf is not None:
            run.drop(buf)


def _casts(run: _Replay, op: _Op, facts: LayerFacts, reads_input: bool, batch: int,
           config: MemoryConfig) -> tuple[list[_Buffer], _Buffer | None]:
    """Under autocast (``--mixed``), a layer that computes with its weights (convolutions,
    linear) gets --dtype copies of its weight and bias, which autocast's cache holds to the
    end of the forward pass, and of the network's float32 input when it reads that."""
    if not (config.mixed and op.copies):
        return [], None
    item = config.activation_bytes
    copies = [run.alloc(n * item, part=SCRATCH) for n in op.tensors]
    source = (run.alloc(_numel_bytes(facts.input_shapes[0], batch, item), part=SCRATCH)
              if reads_input else None)
    return copies, source


def _inference(source: Replayer, batch: int) -> _Replay:
    graph, layers, config = source.graph, source.layers, source.config
    item = config.activation_bytes
    run = _Replay(source, batch)
    readers = source.readers
    storage = _storage(source, False)
    network_inputs = graph.sources
    # None: an input (the caller's), or a view of one
    buffers: dict[str, _Buffer | None] = dict.fromkeys(network_inputs)
    cache: list[_Buffer] = []  # autocast's copies of the weights
    for node, facts, op in zip(graph.nodes, layers, source.ops):
        count = readers[node.name]
        out = _output(run, buffers, node.inputs, storage[node.name], count,
                      _numel_bytes(facts.output_shape, batch, item))
        copies, cast_input = _casts(run, op, facts, node.inputs[0] in network_inputs, batch, config)
        cache += copies
        temps = _scratch(run, op, batch, config, False, False)
        if cast_input is not None:
            temps.insert(0, cast_input)
        padded = op.padded[False]
        if padded is not None:  # F.pad's copy, read by the op and freed after it
            temps.insert(0, run.alloc(_numel_bytes(padded, batch, item), part=SCRATCH))
        run.mark(node.name, FORWARD)
        for temp in temps:
            run.drop(temp)
        buffers[node.name] = out
        _release(run, buffers, node.inputs, out, count)
    for copy in cache:
        run.drop(copy)
    return run


def _training(source: Replayer, batch: int) -> _Replay:
    graph, layers, config = source.graph, source.layers, source.config
    item = config.activation_bytes
    pbytes = config.parameter_bytes
    run = _Replay(source, batch)
    readers = source.readers
    storage = _storage(source, True)
    ops = dict(zip((node.name for node in graph.nodes), source.ops))
    network_inputs = graph.sources
    buffers: dict[str, _Buffer | None] = dict.fromkeys(network_inputs)
    needs: dict[str, bool] = dict.fromkeys(network_inputs, False)
    held: dict[str, list[_Buffer]] = {}  # what each layer keeps for its backward pass
    channels_last: dict[str, bool] = dict.fromkeys(buffers, False)  # each output's layout
    layout_copies: dict[str, tuple[Extra, ...]] = {}  # what backward copies for that
    view_of_internal: dict[str, bool] = dict.fromkeys(network_inputs, False)
    rebased: set[str] = set()  # in-place layers over such a view (autograd's CopySlices)
    param_shapes: dict[str, tuple[int, ...]] = {}
    cache: list[_Buffer] = []  # autocast's copies of the weights, to the end of forward
    casts: dict[str, tuple[int, ...]] = {}  # layers whose parameters autocast copied
    nodes = graph.nodes
    # --- forward -------------------------------------------------------------------------------
    for node, facts, op in zip(nodes, layers, source.ops):
        tensors = op.tensors
        weight_grad = op.weight_grad
        last = bool(node.inputs) and channels_last[node.inputs[0]]
        channels_last[node.name] = (bool(facts.output_shape.spatial)
                                    and node.layer.output_layout(facts.input_shapes, last))
        if last and weight_grad:
            layout_copies[node.name] = node.layer.layout_copies(facts.input_shapes,
                                                                facts.output_shape)
        if weight_grad:
            param_shapes.setdefault(node.shares or node.name, tensors)  # shared: once
        needs[node.name] = weight_grad or any(needs[src] for src in node.inputs)
        count = readers[node.name]
        out = _output(run, buffers, node.inputs, storage[node.name], count,
                      _numel_bytes(facts.output_shape, batch, item))
        in_place_on_view = storage[node.name] == INPLACE and view_of_internal[node.inputs[0]]
        view_of_internal[node.name] = node.layer.returns_view or in_place_on_view
        if in_place_on_view:
            rebased.add(node.name)
        copies, cast_input = _casts(run, op, facts, node.inputs[0] in network_inputs, batch, config)
        cache += copies
        if copies:
            casts[node.name] = tensors
        shape = op.padded[True]
        padded = None if shape is None else run.alloc(_numel_bytes(shape, batch, item))
        if cast_input is not None:  # the op reads (and saves) the copy, as a padded one
            if padded is None:
                padded = cast_input
            else:
                run.drop(cast_input)
        saved = op.saved
        extras = [run.alloc(_extra_bytes(e, batch, config)) for e in saved.extra]
        temps = _scratch(run, op, batch, config, True, False)
        run.mark(node.name, FORWARD)
        for temp in temps:
            run.drop(temp)
        buffers[node.name] = out
        if needs[node.name]:
            keep = list(extras)
            kept = saved.inputs
            if saved.factors:  # a product keeps a factor only for another factor's gradient
                kept = tuple(i for i in saved.inputs
                             if any(needs[src] for j, src in enumerate(node.inputs) if j != i))
            for index in dict.fromkeys(kept):
                buf = buffers[node.inputs[index]]
                if index == 0 and padded is not None:
                    keep.append(padded)  # the op saves the padded copy, not its input
                    padded = None
                elif buf is not None:
                    run.hold(buf)
                    keep.append(buf)
            if saved.output and out is not None:
                run.hold(out)
                keep.append(out)
            if saved.weights and copies:
                run.hold(copies[0])  # the weight's copy, kept for backward
                keep.append(copies[0])
            held[node.name] = keep
        else:
            for extra in extras:
                run.drop(extra)
        if padded is not None:
            run.drop(padded)
        _release(run, buffers, node.inputs, out, count)
    # --- the loss: out.float().sum() -----------------------------------------------------------
    output = graph.output
    for copy in cache:  # leaving autocast empties its cache
        run.drop(copy)
    loss_item = 4  # float32
    converted = None
    if item != 4 or config.mixed:
        converted = run.alloc(_numel_bytes(layers[-1].output_shape, batch, loss_item))
    loss = run.alloc(loss_item)
    run.mark("loss", FORWARD)
    if converted is not None:
        run.drop(converted)
    # --- backward ------------------------------------------------------------------------------
    grads: dict[str, _Grad] = {}
    # The gradient of the loss, held by the engine to the end of backward and expanded (a
    # view) to the output's shape.
    ones = run.alloc(loss_item, 2, GRADIENTS)
    if needs[output]:
        if converted is not None or item != loss_item:
            # ToCopyBackward: the expanded float32 gradient becomes a --dtype tensor
            grad_out = run.alloc(_numel_bytes(layers[-1].output_shape, batch, item),
                                 part=GRADIENTS)
            run.drop(ones)
            grads[output] = _Grad(grad_out, True)
        else:
            grads[output] = _Grad(ones, False)
    else:
        run.drop(ones)
    index_of = {node.name: i for i, node in enumerate(nodes)}
    accumulated: set[str] = set()  # weights whose gradient exists
    for node, facts in zip(reversed(nodes), reversed(layers)):
        if not needs[node.name]:
            continue
        op = ops[node.name]
        grad = grads.pop(node.name, None)
        keep = held.pop(node.name, [])
        if grad is None:  # its output reaches no loss: autograd never runs it
            for buf in keep:
                run.drop(buf)
            continue
        sources = [src for src in dict.fromkeys(node.inputs[i] for i in op.gradient_inputs)
                   if needs[src]]
        padded_shape = op.padded[True]
        produced: list[tuple[str, _Grad]] = []
        sums: list[_Buffer] = []  # products the output's size, summed down to a factor's
        for src in sources:
            index = node.inputs.index(src)
            shape = facts.input_shapes[index]
            if padded_shape is not None and src == node.inputs[0]:
                shape = padded_shape  # first the padded copy's gradient, cut back below
            mode = op.gradient_modes[index]
            if mode == VIEW:
                run.hold(grad.buffer)
                whole = grad.whole and shape.numel == facts.output_shape.numel
                produced.append((src, _Grad(grad.buffer, whole)))
            else:
                if mode == REDUCED:
                    sums.append(run.alloc(_numel_bytes(facts.output_shape, batch, item),
                                          part=SCRATCH))
                buf = run.alloc(_numel_bytes(shape, batch, item), part=GRADIENTS)
                produced.append((src, _Grad(buf, True)))
        copied = node.name in casts
        owner = node.shares or node.name
        params = param_shapes[owner] if op.weight_grad else ()
        # a shared weight's gradient made before is added into, in place: this one is freed
        accumulate = bool(params) and owner in accumulated
        if params:
            accumulated.add(owner)
        fresh_grads: list[_Buffer] = []
        # the parameters' gradients, kept to the optimizer step (under autocast first those of
        # the --dtype copies, each then cast to float32 by the copy's ToCopyBackward)
        half = [run.alloc(n * item, part=PARAMETER_GRADIENTS) for n in params] if copied else []
        if not (copied or op.late_gradients):
            fresh_grads += [run.alloc(n * pbytes, part=PARAMETER_GRADIENTS) for n in params]
        temps = sums + _scratch(run, op, batch, config, True, True)
        temps += [run.alloc(_extra_bytes(e, batch, config), part=SCRATCH)
                  for e in op.gradient_scratch]
        if node.name in rebased:
            # CopySlices: the base's gradient and a clone of it, and a zero-filled one more
            # when the gradient arriving is a slice (measured on the CPU, PyTorch 2.13)
            temps += [run.alloc(_numel_bytes(facts.output_shape, batch, item), part=SCRATCH)
                      for _ in range(2 if grad.whole else 3)]
        run.mark(node.name, BACKWARD)
        for temp in temps:
            run.drop(temp)
        if op.late_gradients and not copied and params:
            fresh_grads += [run.alloc(n * pbytes, part=PARAMETER_GRADIENTS) for n in params]
            run.mark(node.name, BACKWARD)
        run.drop(grad.buffer)  # the output's gradient
        for buf in keep:
            run.drop(buf)
        for layout_copy in layout_copies.get(node.name, ()):
            # AccumulateGrad's copy beside the original, which it then replaces (counted here
            # as the copy freed: the same bytes)
            copy = run.alloc(_extra_bytes(layout_copy, batch, config), part=PARAMETER_GRADIENTS)
            run.mark(node.name, BACKWARD)
            run.drop(copy)
        for n, buf in zip(params, half):
            fresh_grads.append(run.alloc(n * pbytes, part=PARAMETER_GRADIENTS))
            run.mark(node.name, BACKWARD)
            run.drop(buf)
        if accumulate:
            for buf in fresh_grads:
                run.drop(buf)
        if padded_shape is not None and produced and produced[0][0] == node.inputs[0]:
            # F.pad's backward: the input's gradient, cut out of the padded copy's
            src, padded_grad = produced[0]
            cut = run.alloc(_numel_bytes(facts.input_shapes[0], batch, item), part=GRADIENTS)
            run.mark(node.name, BACKWARD)
            run.drop(padded_grad.buffer)
            produced[0] = (src, _Grad(cut, True))
        for src, new in produced:
            old = grads.get(src)
            if old is None:
                grads[src] = new
            elif old.whole and old.buffer.holders == 1:
                run.drop(new.buffer)  # added in place into the first gradient
            else:
                shape = layers[index_of[src]].output_shape
                total = run.alloc(_numel_bytes(shape, batch, item), part=GRADIENTS)
                run.mark(node.name, BACKWARD)
                run.drop(old.buffer)
                run.drop(new.buffer)
                grads[src] = _Grad(total, True)
    for leftover in grads.values():
        run.drop(leftover.buffer)
    run.drop(ones)
    run.drop(loss)
    # --- the optimizer's first step ------------------------------------------------------------
    _step(run, [n for tensors in param_shapes.values() for n in tensors], pbytes, config)
    return run


def _step(run: _Replay, params: list[int], pbytes: int, config: MemoryConfig) -> None:
    """``optimizer.step()`` the first time: SGD with momentum clones each gradient into its
    buffer; Adam creates two zero-filled states per parameter, then needs the square root of
    the second: on CUDA for all parameters at once (``torch._foreach_sqrt``), on the CPU one
    parameter at a time, with its division by the bias correction (``_single_tensor_adam``)."""
    if config.optimizer == "sgd" or not params:
        return
    if config.optimizer == "momentum":
        for n in params:
            run.alloc(n * pbytes, part=OPTIMIZER_STATE)
        run.mark("optimizer", STEP)
        return
    for n in params:
        if not run.cuda:
            run.alloc(4, part=OPTIMIZER_STATE)  # state["step"], a float32 scalar on the CPU
        run.alloc(n * pbytes, part=OPTIMIZER_STATE)
        run.alloc(n * pbytes, part=OPTIMIZER_STATE)
    if run.cuda:
        roots = [run.alloc(n * pbytes, part=SCRATCH) for n in params]
        run.mark("optimizer", STEP)
        for buf in roots:
            run.drop(buf)
        return
    previous: _Buffer | None = None
    for n in params:
        root = run.alloc(n * pbytes, part=SCRATCH)
        denom = run.alloc(n * pbytes, part=SCRATCH)
        run.mark("optimizer", STEP)
        run.drop(root)
        if previous is not None:
            run.drop(previous)
        previous = denom
    if previous is not None:
        run.drop(previous)
