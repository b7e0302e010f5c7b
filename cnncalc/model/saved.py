"""What a layer keeps for the backward pass, and how its output is stored: the per-kind facts
that the memory model (:mod:`cnncalc.analysis.memory`) combines. Each layer kind states them in
:meth:`Layer.saved_for_backward` and :meth:`Layer.output_storage`; the numbers are what PyTorch's
eager autograd really keeps (checked with ``torch.autograd.graph.saved_tensors_hooks``, see
docs/memory.md and benchmarks/memory_accuracy.py).
"""

from __future__ import annotations

from dataclasses import dataclass

NEW = "new"
"""The output is a new tensor."""
VIEW = "view"
"""The output shares input 0's memory (``flatten``, ``identity``, a crop, dropout at inference)."""
REDUCED = "reduced"
"""An input's gradient made at the output's size and then summed down to the input's (a
broadcast factor of a product: ``(grad · other).sum_to_size(...)``)."""
INPLACE = "inplace"
"""The output overwrites input 0 (an in-place activation). At inference cnncalc does this only
when nothing reads input 0 later; in training only where the spec asks (``inplace: true``), as
PyTorch does."""

ACTIVATION = "activation"
"""An element in the activation dtype (``--dtype``)."""
INDEX = "index"
"""A 64-bit index (max pooling's argmax): 8 bytes whatever the dtype."""
MASK = "mask"
"""A dropout mask element: a 1-byte bool on CUDA, the activation dtype on the CPU."""
STAT = "stat"
"""A float32 statistic (batch norm's saved mean and inverse std): 4 bytes."""
PARAMETER = "parameter"
"""An element in the parameters' dtype (a copy of a parameter's gradient)."""


@dataclass(frozen=True, slots=True)
class Extra:
    """A tensor a layer saves that is neither an input nor its output: ``per_sample`` elements
    for each sample of the batch plus ``fixed`` elements once, each of type ``element``."""

    what: str
    per_sample: int = 0
    fixed: int = 0
    element: str = ACTIVATION


@dataclass(frozen=True, slots=True)
class Saved:
    """What a layer's backward pass needs: some of its inputs, its output, its weights (a
    parameter, so free unless mixed precision keeps a low-precision copy), and extras.

    ``factors`` marks an element-wise product (``mul``): the gradient for one factor is the
    other factor, so each listed input is kept only when another input needs a gradient
    (PyTorch's ``mul`` backward)."""

    inputs: tuple[int, ...] = ()
    output: bool = False
    weights: bool = False
    extra: tuple[Extra, ...] = ()
    factors: bool = False


NOTHING = Saved()
"""Nothing (a backward that needs only shapes)."""
INPUT = Saved(inputs=(0,))
"""Input 0 alone."""
OUTPUT = Saved(output=True)
"""The output alone."""
INPUT_AND_WEIGHTS = Saved(inputs=(0,), weights=True)
"""Input 0 and the weights (a convolution)."""
WEIGHTS = Saved(weights=True)
"""The weights alone (a linear layer whose weights are frozen)."""


@dataclass(frozen=True, slots=True)
class Workspace:
    """Memory one op allocates and frees before it returns (a cuDNN convolution's workspace,
    max pooling's indices at inference), which the CUDA caching allocator counts: at least
    ``least``, likely ``likely`` (cnncalc's estimate) and at most ``most`` (``--fit`` answers
    from it), when its size depends on the algorithm a library picks at run time."""

    least: tuple[Extra, ...]
    likely: tuple[Extra, ...]
    most: tuple[Extra, ...]

    @classmethod
    def exactly(cls, *extras: Extra) -> Workspace:
        """Memory whose size is known (the same at least, likely and at most)."""
        return cls(extras, extras, extras)
