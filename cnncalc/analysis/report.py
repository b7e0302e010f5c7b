"""The result of analysing a graph: frozen values that renderers and tools consume.

:meth:`Report.to_dict` is the stable JSON contract documented in docs/json-schema.md; every count
in it is an exact integer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnncalc.analysis.memory import MemoryTotals
from cnncalc.model.attrs import json_value
from cnncalc.model.errors import Diagnostic, Mark
from cnncalc.model.rf import ReceptiveField
from cnncalc.model.shape import Shape

SCHEMA_VERSION = 1

CONVENTIONS: dict[str, str] = {
    "macs": "MACs = multiply-accumulates of conv, conv_transpose (input-based), linear and "
            "locally_connected layers, for the whole batch; bias, normalisation, activations, "
            "pooling and additions count 0",
    "flops": "FLOPs = 2 × MACs (a multiply and an add, as torch.utils.flop_counter counts)",
    "params": "params = weights + biases = trainable + frozen, as PyTorch counts parameters; "
              "batch-norm running statistics are buffers, counted apart (Keras's \"Total "
              "params\" = params + buffers)",
    "shapes": "shapes are channels first and per sample (no batch axis); output sizes follow "
              "PyTorch's rules (floor unless ceil_mode)",
}


@dataclass(frozen=True, slots=True)
class LayerReport:
    """Everything cnncalc knows about one layer after the walk. Counts cover the whole batch
    where they depend on it (MACs); parameters never do."""

    name: str
    kind: str
    description: str
    inputs: tuple[str, ...]
    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    weights: int
    bias: int
    buffers: int
    trainable: bool
    macs: int
    rf: ReceptiveField | None
    dropped: tuple[int, ...]
    mark: Mark | None
    scope: tuple[tuple[str, str], ...]
    attributes: tuple[tuple[str, Any], ...] = ()
    activation_bytes: int = 0
    """Bytes of the output tensor for the whole batch (docs/memory.md)."""
    live_bytes: int = 0
    """Inference: bytes of activations allocated while this layer runs."""
    saved_bytes: int = 0
    """Training: bytes this layer newly keeps for the backward pass."""
    reuses_input: bool = False
    """Inference: the output is a view of, or written over, an input (no new memory)."""

    @property
    def params(self) -> int:
        return self.weights + self.bias

    @property
    def trainable_params(self) -> int:
        return self.params if self.trainable else 0

    @property
    def frozen_params(self) -> int:
        """Parameters of a layer written ``trainable: false``."""
        return 0 if self.trainable else self.params

    @property
    def non_trainable(self) -> int:
        """Keras's "Non-trainable params": frozen parameters and buffers together."""
        return self.buffers + self.frozen_params

    @property
    def flops(self) -> int:
        return 2 * self.macs

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "inputs": list(self.inputs),
            "input_shapes": [s.to_list() for s in self.input_shapes],
            "output_shape": self.output_shape.to_list(),
            "params": self.params,
            "weights": self.weights,
            "bias": self.bias,
            "trainable_params": self.trainable_params,
            "frozen_params": self.frozen_params,
            "non_trainable": self.non_trainable,
            "buffers": self.buffers,
            "macs": self.macs,
            "flops": self.flops,
            "rf": self.rf.to_dict() if self.rf is not None else None,
            "dropped_inputs": list(self.dropped),
            "attributes": {k: json_value(v) for k, v in self.attributes},
            "scope": [name for name, _ in self.scope],
            "line": self.mark.line if self.mark else None,
            "column": self.mark.column if self.mark else None,
            "activation_bytes": self.activation_bytes,
            "live_bytes": self.live_bytes,
            "saved_bytes": self.saved_bytes,
        }
        return out


@dataclass(frozen=True, slots=True)
class Totals:
    """The column sums of a report (parameters, buffers, MACs).

    ``params = weights + bias = trainable_params + frozen_params`` (PyTorch's parameters);
    ``buffers`` are apart (batch-norm running statistics); ``non_trainable`` and
    ``keras_total_params`` are Keras's "Non-trainable params" (frozen + buffers) and "Total
    params" (params + buffers)."""

    params: int
    trainable_params: int
    non_trainable: int
    weights: int
    bias: int
    buffers: int
    macs: int
    memory: MemoryTotals | None = None

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @property
    def frozen_params(self) -> int:
        return self.params - self.trainable_params

    @property
    def keras_total_params(self) -> int:
        return self.params + self.buffers

    @classmethod
    def of(cls, layers: tuple[LayerReport, ...]) -> Totals:
        """The column sums (one pass: a report may have a hundred thousand layers)."""
        weights = bias = buffers = frozen = macs = 0
        for r in layers:
            weights += r.weights
            bias += r.bias
            buffers += r.buffers
            macs += r.macs
            if not r.trainable:
                frozen += r.weights + r.bias
        params = weights + bias
        return cls(params=params, trainable_params=params - frozen,
                   non_trainable=buffers + frozen, weights=weights, bias=bias, buffers=buffers,
                   macs=macs)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "params": self.params, "trainable_params": self.trainable_params,
            "frozen_params": self.frozen_params, "non_trainable": self.non_trainable,
            "weights": self.weights, "bias": self.bias, "buffers": self.buffers,
            "keras_total_params": self.keras_total_params, "macs": self.macs, "flops": self.flops}
        if self.memory is not None:
            out["memory"] = self.memory.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class Report:
    """The analysis of a whole network for one input shape and batch size."""

    name: str
    input_shape: Shape
    batch: int
    output_shape: Shape
    layers: tuple[LayerReport, ...]
    totals: Totals
    source: str | None = None
    warnings: tuple[Diagnostic, ...] = ()
    inputs: tuple[tuple[str, Shape], ...] = ()
    """The named inputs when the network has several (the first is ``input_shape``)."""

    @property
    def sources(self) -> tuple[tuple[str, Shape], ...]:
        """Every network input, by name: ``(("input", shape),)`` or the named inputs."""
        return self.inputs or (("input", self.input_shape),)

    def layer(self, name: str) -> LayerReport:
        for r in self.layers:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON contract (docs/json-schema.md)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "source": self.source,
            "input_shape": self.input_shape.to_list(),
            **({"inputs": {name: shape.to_list() for name, shape in self.inputs}}
               if self.inputs else {}),
            "batch": self.batch,
            "output_shape": self.output_shape.to_list(),
            "layers": [r.to_dict() for r in self.layers],
            "totals": self.totals.to_dict(),
            "conventions": dict(CONVENTIONS),
            "warnings": [_diagnostic_dict(d) for d in self.warnings],
            **({"memory_settings": self.totals.memory.config.to_dict()}
               if self.totals.memory is not None else {}),
        }


def _diagnostic_dict(d: Diagnostic) -> dict[str, Any]:
    return {"severity": d.severity, "code": d.code, "message": d.message, "layer": d.layer,
            "line": d.mark.line if d.mark else None,
            "column": d.mark.column if d.mark else None}
