"""Evaluating an ONNX graph's static computations: the integer arithmetic on shapes and
constants that exporters write around ``Pad``, ``Reshape``, ``Slice`` and ``If`` (the legacy
PyTorch exporter computes a pad vector with a dozen Shape, Gather, ConstantOfShape, Concat,
Slice and Transpose nodes). Only values that a layer needs are computed, from initializers,
``Constant`` nodes and the inferred shapes of activations — never from weights' data or from
the activations themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from cnncalc.model.errors import SpecError

if TYPE_CHECKING:
    from cnncalc.importers.onnx_file import _Reader

MAX_ELEMENTS = 1 << 20
"""Largest static tensor computed (a shape vector has a handful of elements)."""


def attributes(node: Any) -> dict[str, Any]:
    """A node's attributes as Python values."""
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def as_written(value: float) -> float:
    """A float32 attribute as the decimal it was written as (1e-05, not 9.99999974e-06)."""
    return float(f"{value:.7g}")


class NotStatic(Exception):
    """The value depends on the activations (or on weights that were not read)."""


class Static:
    def __init__(self, reader: _Reader) -> None:
        self.r = reader
        self.values: dict[str, np.ndarray] = {}
        self.producers: dict[str, tuple[Any, int]] = {}
        self.initializers = {t.name: t for t in reader.graph.initializer}
        self.refresh()

    def refresh(self) -> None:
        self.producers = {}
        for index, node in enumerate(self.r.graph.node):
            for out in node.output:
                self.producers[out] = (node, index)

    def add(self, node: Any, index: int) -> None:
        """A node that reads no activation: computed when a layer needs its value."""

    def value(self, name: str, node: Any, index: int) -> np.ndarray:
        """The value of static tensor ``name``, which ``node`` needs; an error naming the node
        when it cannot be computed."""
        try:
            return self.evaluate(name)
        except NotStatic as exc:
            raise self.r.error(node, index, f"input '{name}' must be a constant here, but "
                                            f"{exc}") from None
        except SpecError:
            raise
        except (ValueError, TypeError, IndexError, KeyError, OverflowError,
                ZeroDivisionError, MemoryError) as exc:
            raise self.r.error(node, index, f"cannot compute input '{name}': {exc}") from None

    def evaluate(self, name: str) -> np.ndarray:
        stack = [name]
        while stack:
            current = stack[-1]
            if current in self.values:
                stack.pop()
                continue
            known = self._leaf(current)
            if known is not None:
                self.values[current] = known
                stack.pop()
                continue
            producer = self.producers.get(current)
            if producer is None:
                raise NotStatic(f"'{current}' is neither a constant nor computed from one")
            node, _ = producer
            if node.op_type in ("Shape", "Size"):
                needed: list[str] = []
            else:
                needed = [n for n in node.input if n and n not in self.values]
            if needed:
                if len(stack) > 10_000:
                    raise NotStatic("the computation is nested too deeply")
                stack.extend(needed)
                continue
            outputs = self._run(node)
            for out, result in zip(node.output, outputs):
                if result.size > MAX_ELEMENTS:
                    raise NotStatic(f"'{out}' would have {result.size:,} elements")
                self.values[out] = result
            if current not in self.values:
                raise NotStatic(f"'{current}' is not computed")
            stack.pop()
        return self.values[name]

    def _leaf(self, name: str) -> np.ndarray | None:
        tensor = self.initializers.get(name)
        if tensor is None:
            return None
        from onnx import numpy_helper

        if tensor.data_location == 1 or not _has_data(tensor):
            raise NotStatic(f"'{name}' is a weight whose values were not read")
        values: np.ndarray = numpy_helper.to_array(tensor)
        return values

    def _run(self, node: Any) -> list[np.ndarray]:
        op = node.op_type
        a = attributes(node)
        if op == "Shape" or op == "Size":
            shape = self.r.shape(node.input[0])
            if shape is None:
                raise NotStatic(f"the shape of '{node.input[0]}' is unknown")
            if op == "Size":
                return [np.array(int(np.prod(shape)), dtype=np.int64)]
            start, end = a.get("start", 0), a.get("end", None)
            return [np.array(shape[start:end], dtype=np.int64)]
        xs = [self.values[n] if n else None for n in node.input]
        fn = _OPS.get(op)
        if fn is None:
            raise NotStatic(f"it is computed by {op} node '{node.name}', which reads "
                            f"activations or which cnncalc does not evaluate")
        result = fn(xs, a)
        return result if isinstance(result, list) else [result]


def _has_data(tensor: Any) -> bool:
    return bool(tensor.raw_data or tensor.float_data or tensor.int32_data or tensor.int64_data
                or tensor.double_data or tensor.uint64_data or tensor.string_data
                or 0 in tensor.dims)


def _constant(xs: list[Any], a: dict[str, Any]) -> Any:
    from onnx import numpy_helper

    if "value" in a:
        return numpy_helper.to_array(a["value"])
    for key, dtype in (("value_float", np.float32), ("value_floats", np.float32),
                       ("value_int", np.int64), ("value_ints", np.int64)):
        if key in a:
            return np.array(a[key], dtype=dtype)
    raise NotStatic("a Constant node without a value cnncalc reads")


def _gather(xs: list[Any], a: dict[str, Any]) -> Any:
    return np.take(xs[0], xs[1].astype(np.int64), axis=a.get("axis", 0))


def _reshape(xs: list[Any], a: dict[str, Any]) -> Any:
    shape = [int(v) for v in xs[1]]
    if not a.get("allowzero", 0):
        shape = [xs[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
    return xs[0].reshape(shape)


def _slice(xs: list[Any], a: dict[str, Any]) -> Any:
    data = xs[0]
    starts = xs[1] if len(xs) > 1 else a["starts"]
    ends = xs[2] if len(xs) > 2 else a["ends"]
    axes = xs[3] if len(xs) > 3 and xs[3] is not None else a.get("axes",
                                                                  range(len(starts)))
    steps = xs[4] if len(xs) > 4 and xs[4] is not None else [1] * len(starts)
    index = [slice(None)] * data.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        index[int(ax)] = slice(int(s), int(e) if abs(int(e)) < 2**62 else None, int(st))
    return data[tuple(index)]


def _unsqueeze(xs: list[Any], a: dict[str, Any]) -> Any:
    axes = [int(v) for v in (xs[1] if len(xs) > 1 and xs[1] is not None else a["axes"])]
    out = xs[0]
    rank = out.ndim + len(axes)
    for axis in sorted(x % rank for x in axes):
        out = np.expand_dims(out, axis)
    return out


def _squeeze(xs: list[Any], a: dict[str, Any]) -> Any:
    axes = xs[1] if len(xs) > 1 and xs[1] is not None else a.get("axes")
    if axes is None:
        return np.squeeze(xs[0])
    return np.squeeze(xs[0], axis=tuple(int(v) for v in axes))


def _cast(xs: list[Any], a: dict[str, Any]) -> Any:
    from onnx import helper

    return xs[0].astype(helper.tensor_dtype_to_np_dtype(a["to"]))


def _div(xs: list[Any], a: dict[str, Any]) -> Any:
    x, y = xs
    if np.issubdtype(x.dtype, np.integer) and np.issubdtype(y.dtype, np.integer):
        return np.trunc(x / y).astype(x.dtype)
    return x / y


def _constant_of_shape(xs: list[Any], a: dict[str, Any]) -> Any:
    from onnx import numpy_helper

    fill = numpy_helper.to_array(a["value"]).reshape(-1) if "value" in a else \
        np.zeros(1, np.float32)
    shape = [int(v) for v in xs[0]]
    if int(np.prod(shape)) > MAX_ELEMENTS:
        raise NotStatic(f"a constant of shape {shape} is too large")
    return np.full(shape, fill[0], dtype=fill.dtype)


def _range(xs: list[Any], a: dict[str, Any]) -> Any:
    start, limit, delta = (x.item() for x in xs[:3])
    if delta == 0 or abs((limit - start) / delta) > MAX_ELEMENTS:
        raise NotStatic("a range that is empty-stepped or too long")
    return np.arange(start, limit, delta, dtype=xs[0].dtype)


def _expand(xs: list[Any], a: dict[str, Any]) -> Any:
    shape = [int(v) for v in xs[1]]
    if int(np.prod(shape)) > MAX_ELEMENTS:
        raise NotStatic(f"an expansion to {shape} is too large")
    return xs[0] * np.ones(shape, dtype=xs[0].dtype)


def _reduce(fn: Any) -> Any:
    def run(xs: list[Any], a: dict[str, Any]) -> Any:
        axes = a.get("axes")
        if axes is None and len(xs) > 1 and xs[1] is not None:
            axes = [int(v) for v in xs[1]]
        keep = bool(a.get("keepdims", 1))
        return np.asarray(fn(xs[0], axis=tuple(axes) if axes else None, keepdims=keep))
    return run


_OPS: dict[str, Any] = {
    "Constant": _constant,
    "Identity": lambda xs, a: xs[0],
    "Gather": _gather,
    "Concat": lambda xs, a: np.concatenate([x.reshape(-1) if x.ndim == 0 else x
                                            for x in xs if x is not None], axis=a["axis"]),
    "Reshape": _reshape,
    "Slice": _slice,
    "Transpose": lambda xs, a: np.transpose(xs[0], a.get("perm")),
    "Cast": _cast,
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Add": lambda xs, a: xs[0] + xs[1],
    "Sub": lambda xs, a: xs[0] - xs[1],
    "Mul": lambda xs, a: xs[0] * xs[1],
    "Div": _div,
    "Mod": lambda xs, a: (np.fmod if a.get("fmod", 0) else np.mod)(xs[0], xs[1]),
    "Neg": lambda xs, a: -xs[0],
    "Abs": lambda xs, a: np.abs(xs[0]),
    "Floor": lambda xs, a: np.floor(xs[0]),
    "Ceil": lambda xs, a: np.ceil(xs[0]),
    "Sqrt": lambda xs, a: np.sqrt(xs[0]),
    "Pow": lambda xs, a: np.power(xs[0], xs[1]),
    "Min": lambda xs, a: np.minimum.reduce(xs),
    "Max": lambda xs, a: np.maximum.reduce(xs),
    "Equal": lambda xs, a: np.equal(xs[0], xs[1]),
    "Less": lambda xs, a: np.less(xs[0], xs[1]),
    "Greater": lambda xs, a: np.greater(xs[0], xs[1]),
    "Not": lambda xs, a: np.logical_not(xs[0]),
    "And": lambda xs, a: np.logical_and(xs[0], xs[1]),
    "Or": lambda xs, a: np.logical_or(xs[0], xs[1]),
    "Where": lambda xs, a: np.where(xs[0], xs[1], xs[2]),
    "ConstantOfShape": _constant_of_shape,
    "Range": _range,
    "Expand": _expand,
    "ReduceProd": _reduce(np.prod),
    "ReduceSum": _reduce(np.sum),
    "ReduceMax": _reduce(np.max),
    "ReduceMin": _reduce(np.min),
}
