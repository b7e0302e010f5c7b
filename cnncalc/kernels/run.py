"""Running a whole graph on arrays, and ``validate``: the predicted shapes and parameter counts
against what real tensors give.

:func:`run` executes the nodes in the graph's topological order, handing each output to a
callback and dropping every array after its last consumer. :func:`validate` feeds it random,
seeded weights and input, and compares each layer's array with the walk's
:class:`~cnncalc.analysis.report.LayerReport`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from cnncalc.analysis.report import Report
from cnncalc.analysis.walk import Progress
from cnncalc.api import Network, load
from cnncalc.kernels._arrays import Array, reused_buffers, shape_of
from cnncalc.kernels.registry import ROLES, Kernel, kernel_for
from cnncalc.model.errors import CnncalcError, LimitError
from cnncalc.model.graph import INPUT, Graph, Node
from cnncalc.model.limits import Limits
from cnncalc.model.quantity import binary, parse_memory
from cnncalc.model.shape import Shape

DTYPES = ("float32", "float64")
DEFAULT_MEMORY_FRACTION = 0.5
FALLBACK_MEMORY = 4 * 2**30


class MemoryLimitError(CnncalcError):
    """A run that would need more memory than allowed; raised before anything is allocated."""


# --- running a graph ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One executed node: its input shapes, output array, the seconds its kernel took and the
    parameter arrays it used."""

    index: int
    node: Node
    inputs: tuple[Shape, ...]
    output: Array
    seconds: float
    params: Mapping[str, Array]


class KernelFailure(Exception):
    """A kernel raised: ``node`` names where, ``__cause__`` holds the original error."""

    def __init__(self, index: int, node: Node, error: Exception) -> None:
        super().__init__(f"{node.kind} '{node.name}': {error}")
        self.index = index
        self.node = node
        self.error = error


ParamsFor = Callable[[int, Node, Kernel, tuple[Shape, ...]], Mapping[str, Array]]


def last_uses(graph: Graph) -> dict[str, int]:
    """Producer name → index of the last node that reads it (the graph output is never freed)."""
    last: dict[str, int] = {}
    for index, node in enumerate(graph.nodes):
        for src in node.inputs:
            last[src] = index
    last[graph.output] = len(graph.nodes)
    return last


def run(graph: Graph, x: Array | Mapping[str, Array], params_for: ParamsFor,
        on_step: Callable[[Step], None] | None = None) -> Array:
    """Run every node of ``graph`` on the batch ``x`` (or, for a network with several inputs, a
    mapping of input name → batch) and return the network's output.

    ``params_for(index, node, kernel, input_shapes)`` supplies each layer's parameter arrays.
    ``on_step`` sees every output before it can be freed. Arrays are dropped after their last
    consumer, and large temporary buffers are reused from one layer to the next. A kernel error
    is raised as :class:`KernelFailure`."""
    last = last_uses(graph)
    values: dict[str, Array] = (dict(x) if isinstance(x, Mapping)
                                else {next(iter(graph.sources)): x})
    with reused_buffers():
        for index, node in enumerate(graph.nodes):
            inputs = tuple(values[src] for src in node.inputs)
            shapes = tuple(shape_of(a) for a in inputs)
            try:
                kern = kernel_for(node.layer)
                params = params_for(index, node, kern, shapes)
                start = time.perf_counter()
                out = kern.forward(node.layer, inputs, params)
                seconds = time.perf_counter() - start
            except MemoryError:
                raise
            except Exception as exc:
                raise KernelFailure(index, node, exc) from exc
            del inputs
            values[node.name] = out
            if on_step is not None:
                on_step(Step(index, node, shapes, out, seconds, params))
            del params, out
            for src in set(node.inputs):
                if last.get(src) == index:
                    del values[src]
    return values[graph.output]


def random_params(kern: Kernel, layer: Any, inputs: tuple[Shape, ...], rng: np.random.Generator,
                  dtype: Any) -> dict[str, Array]:
    """Random parameter arrays for one layer, shaped as its kernel asks: uniform with the
    :class:`~cnncalc.kernels.registry.Param`'s mean and standard deviation (uniform rather than
    normal because drawing VGG-16's 138 M weights is then five times faster)."""
    out: dict[str, Array] = {}
    for name, spec in kern.params(layer, inputs).items():
        values = rng.random(spec.shape, dtype=dtype)
        half_width = spec.std * 3 ** 0.5
        if not spec.positive:
            values *= np.asarray(2.0, dtype)
            values -= np.asarray(1.0, dtype)
        values *= np.asarray(half_width, dtype)
        values += np.asarray(spec.mean, dtype)
        out[name] = values
    return out


def seeded_params(seed: int, dtype: Any) -> ParamsFor:
    """Parameters drawn from a generator seeded with ``(seed, layer index)``: the same seed gives
    the same weights however the run is interrupted or reordered. A layer that shares another's
    weights (``shares``) gets that layer's very arrays."""
    owned: dict[str, dict[str, Array]] = {}

    def params_for(index: int, node: Node, kern: Kernel,
                   inputs: tuple[Shape, ...]) -> dict[str, Array]:
        if node.shares is not None and node.shares in owned:
            return owned[node.shares]
        rng = np.random.default_rng((seed, index + 1))
        params = random_params(kern, node.layer, inputs, rng, dtype)
        if params:
            owned[node.name] = params
        return params

    return params_for


def random_input(shape: Shape, batch: int, seed: int, dtype: Any, which: int = 0) -> Array:
    """A standard normal batch for the network input number ``which``."""
    rng = np.random.default_rng((seed, 0) if which == 0 else (seed, 0, which))
    return rng.standard_normal((batch, *shape.dims), dtype=dtype)


# --- memory -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MemoryEstimate:
    """The most memory a run holds at once, in bytes, at the layer where that happens: live
    activations (inputs kept for later consumers, the new output), the kernel's temporary
    buffers and the layer's parameters (weights are made per layer and dropped after it)."""

    peak_bytes: int
    layer: str
    activations: int
    workspace: int
    params: int


def estimate_memory(graph: Graph, report: Report, itemsize: int) -> MemoryEstimate:
    """Peak memory of :func:`run` on ``graph`` for the shapes in ``report``."""
    batch = report.batch
    by_name = {r.name: r for r in report.layers}
    last = last_uses(graph)
    sizes = {name: shape.numel * batch * itemsize for name, shape in report.sources}
    live = sum(sizes.values())
    best = MemoryEstimate(live, INPUT, live, 0, 0)
    for index, node in enumerate(graph.nodes):
        r = by_name[node.name]
        out = r.output_shape.numel * batch * itemsize
        work = kernel_for(node.layer).workspace(node.layer, r.input_shapes, r.output_shape)
        work_bytes = work * batch * itemsize
        param_bytes = (r.params + r.buffers) * itemsize
        total = live + out + work_bytes + param_bytes
        if total > best.peak_bytes:
            best = MemoryEstimate(total, node.name, live + out, work_bytes, param_bytes)
        sizes[node.name] = out
        live += out
        for src in set(node.inputs):
            if last.get(src) == index:
                live -= sizes[src]
    return best


def physical_memory() -> int | None:
    """Bytes of physical memory, where the system says (POSIX ``sysconf``)."""
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return pages * size if pages > 0 and size > 0 else None


def default_max_memory() -> int:
    """Half the physical memory (4 GiB where it cannot be read): leaves room for the system and
    numpy's own temporaries."""
    total = physical_memory()
    return int(total * DEFAULT_MEMORY_FRACTION) if total else FALLBACK_MEMORY


# --- validate -----------------------------------------------------------------------------------

Counts3 = tuple[int, int, int]


@dataclass(frozen=True)
class LayerCheck:
    """One layer of a validation run: the walk's prediction and what the arrays gave.

    ``actual`` is the full array shape, batch first (``None`` when the layer did not run because
    an earlier kernel failed); counts are ``(weights, bias, buffers)``."""

    name: str
    kind: str
    description: str
    batch: int
    predicted: Shape
    actual: tuple[int, ...] | None
    predicted_counts: Counts3
    actual_counts: Counts3 | None
    seconds: float = 0.0
    error: str | None = None
    finite: bool = True

    @property
    def shape_ok(self) -> bool:
        return self.actual == (self.batch, *self.predicted.dims)

    @property
    def counts_ok(self) -> bool:
        return self.actual_counts == self.predicted_counts

    @property
    def ok(self) -> bool:
        return self.error is None and self.shape_ok and self.counts_ok

    @property
    def status(self) -> str:
        """``ok``, ``shape`` (mismatch), ``params`` (mismatch), ``error`` or ``not run``."""
        if self.error is not None:
            return "error"
        if self.actual is None:
            return "not run"
        if not self.shape_ok:
            return "shape"
        return "ok" if self.counts_ok else "params"

    @property
    def actual_shape(self) -> str:
        """The actual per-sample shape as the tables print it (``64×112×112``), with the batch
        only when it is not the expected one."""
        if self.actual is None:
            return ""
        dims = self.actual[1:] if self.actual[:1] == (self.batch,) else self.actual
        return "×".join(str(d) for d in dims)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "ok": self.ok,
            "predicted_shape": self.predicted.to_list(),
            "actual_shape": list(self.actual[1:]) if self.actual is not None else None,
            "actual_batch": self.actual[0] if self.actual else None,
            "predicted_params": dict(zip(ROLES, self.predicted_counts)),
            "actual_params": (dict(zip(ROLES, self.actual_counts))
                              if self.actual_counts is not None else None),
            "seconds": self.seconds,
            "finite": self.finite,
            "error": self.error,
        }


@dataclass(frozen=True)
class Validation:
    """The result of :func:`validate`: one :class:`LayerCheck` per layer, in run order."""

    name: str
    input_shape: Shape
    batch: int
    seed: int
    dtype: str
    layers: tuple[LayerCheck, ...]
    memory: MemoryEstimate
    max_memory: int
    output_shape: Shape

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.layers)

    @property
    def failures(self) -> tuple[LayerCheck, ...]:
        return tuple(c for c in self.layers if not c.ok and c.status != "not run")

    @property
    def seconds(self) -> float:
        """Total kernel time (weights and input generation not included)."""
        return sum(c.seconds for c in self.layers)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``cnncalc validate --format json`` (docs/validate.md)."""
        return {
            "schema_version": 1,
            "name": self.name,
            "input_shape": self.input_shape.to_list(),
            "batch": self.batch,
            "seed": self.seed,
            "dtype": self.dtype,
            "ok": self.ok,
            "failures": len(self.failures),
            "not_run": sum(1 for c in self.layers if c.status == "not run"),
            "seconds": self.seconds,
            "memory": {"estimated_peak_bytes": self.memory.peak_bytes,
                       "peak_layer": self.memory.layer, "max_memory_bytes": self.max_memory},
            "layers": [c.to_dict() for c in self.layers],
        }


def _counts(params: Mapping[str, Array], kern: Kernel, node: Node,
            inputs: tuple[Shape, ...]) -> Counts3:
    specs = kern.params(node.layer, inputs)
    totals = dict.fromkeys(ROLES, 0)
    for name, array in params.items():
        totals[specs[name].role] += int(array.size)
    return totals["weight"], totals["bias"], totals["buffer"]




def _check_tensor_elements(report: Report, limits: Limits) -> None:
    """Refuse, before allocating anything, a run whose largest array (an activation for the
    whole batch, or one layer's weights) has more than ``limits.max_tensor_elements`` elements
    (docs/limits.md)."""
    batch = report.batch
    largest, what = report.input_shape.numel * batch, f"the input for batch {batch}"
    for r in report.layers:
        for count, name in ((r.output_shape.numel * batch,
                             f"the output of '{r.name}' for batch {batch}"),
                            (r.weights, f"the weights of '{r.name}'")):
            if count > largest:
                largest, what = count, name
    if largest > limits.max_tensor_elements:
        raise LimitError(f"validating {report.name} needs an array of {largest:,} elements "
                         f"({what}), more than the limit of "
                         f"{limits.max_tensor_elements:,} (max_tensor_elements; raise it with "
                         f"--limit max_tensor_elements=N)", code="limit")


def validate(network: Any, input_shape: Any = None, batch: int | None = None, *, seed: int = 0,
             dtype: str = "float32", max_memory: int | str | None = None,
             progress: Progress | None = None) -> Validation:
    """Run ``network`` on random arrays and compare every layer with the walk's prediction.

    ``network`` is a :class:`cnncalc.Network` or anything :func:`cnncalc.load` accepts;
    ``input_shape`` and ``batch`` override the spec's. Weights and input are drawn from
    ``seed``. ``max_memory`` (bytes, or a size like ``"2GiB"``; default: half the physical
    memory) bounds the estimated peak: a run that would need more raises
    :class:`MemoryLimitError` before allocating anything. ``progress(done, total, layer)`` is
    called after every layer.

    >>> result = cnncalc.validate("lenet5")          # doctest: +SKIP
    >>> result.ok, len(result.layers)                # doctest: +SKIP
    (True, 12)
    """
    net: Network = (network if isinstance(network, Network) else load(network)).at(input_shape)
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if seed < 0:
        raise ValueError(f"seed must not be negative, got {seed}")
    report = net.summary(input_shape, batch)
    np_dtype = np.dtype(dtype)
    limit = default_max_memory() if max_memory is None else parse_memory(max_memory)
    memory = estimate_memory(net.graph, report, np_dtype.itemsize)
    if memory.peak_bytes > limit:
        where = ("the default: half of this machine's memory" if max_memory is None
                 else "the limit given")
        raise MemoryLimitError(
            f"validating {report.name} at {report.input_shape}, batch {report.batch}, "
            f"{dtype} would need about {binary(memory.peak_bytes)} at layer "
            f"'{memory.layer}' ({binary(memory.activations)} of activations, "
            f"{binary(memory.workspace)} of temporary buffers, "
            f"{binary(memory.params)} of weights), more than the limit of "
            f"{binary(limit)} ({where}); use a smaller input or batch, or raise the limit "
            f"(--max-memory)")
    _check_tensor_elements(report, net.limits)  # also where memory is plentiful

    predictions = {r.name: r for r in report.layers}
    shared = (0, 0, 0)  # a layer that shares weights counts none of its own
    checks: list[LayerCheck] = []
    total = len(net.graph.nodes)

    def check(step: Step) -> None:
        r = predictions[step.node.name]
        kern = kernel_for(step.node.layer)
        checks.append(LayerCheck(
            r.name, r.kind, r.description, report.batch, r.output_shape,
            tuple(int(d) for d in step.output.shape), (r.weights, r.bias, r.buffers),
            shared if step.node.shares is not None and (r.weights, r.bias, r.buffers) == shared
            else _counts(step.params, kern, step.node, step.inputs), step.seconds, None,
            bool(np.isfinite(step.output).all())))
        if progress is not None:
            progress(step.index + 1, total, step.node.name)

    x = {name: random_input(shape, report.batch, seed, np_dtype, k)
         for k, (name, shape) in enumerate(report.sources)}
    try:
        run(net.graph, x, seeded_params(seed, np_dtype), check)
    except KernelFailure as failure:
        r = predictions[failure.node.name]
        checks.append(LayerCheck(r.name, r.kind, r.description, report.batch, r.output_shape,
                                 None, (r.weights, r.bias, r.buffers), None, 0.0,
                                 f"{type(failure.error).__name__}: {failure.error}"))
        for node in net.graph.nodes[failure.index + 1:]:
            r = predictions[node.name]
            checks.append(LayerCheck(r.name, r.kind, r.description, report.batch,
                                     r.output_shape, None, (r.weights, r.bias, r.buffers), None))
        if progress is not None:
            progress(total, total, failure.node.name)
    return Validation(report.name, report.input_shape, report.batch, seed, dtype, tuple(checks),
                      memory, limit, report.output_shape)
