"""Every finding cnncalc can report has a stable code: its name in output (``[shape]``), in
``lint: {disable: [...]}``, in SARIF rule ids and in docs/ci.md, which shows an example of each.

Codes are only ever added; a code's meaning never changes. ``stage`` says where a finding comes
from: reading the file, building the graph, walking it, lint, an ``expect:`` or a budget.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    severity: str
    """``error`` (the spec is wrong, or a check failed) or ``warning`` (lint; ``--strict`` makes
    warnings errors)."""
    stage: str
    summary: str


_ALL = (
    # reading the file
    Code("io", "error", "read", "the file cannot be read (missing, a directory, no permission)"),
    Code("encoding", "error", "read", "the file is not UTF-8 text"),
    Code("yaml", "error", "read", "YAML syntax error, or YAML that is not plain data"),
    Code("yaml-tag", "error", "read", "a YAML tag (!!python/...) in a file that holds plain data"),
    Code("duplicate-key", "error", "read", "a key given twice in one mapping"),
    Code("empty", "error", "read", "the file holds no document"),
    Code("limit", "error", "read", "a safety limit was hit (docs/limits.md)"),
    Code("json", "error", "read", "a saved report given to `cnncalc diff` that is not the JSON of "
         "`cnncalc summary --format json`, or a Keras model config that is not valid JSON"),
    Code("export", "error", "export", "a layer `cnncalc export --to pytorch` cannot write as "
         "PyTorch code, or `--to onnx` as ONNX (e.g. Caffe's ceil rule where it differs, LRN on "
         "a flat input)"),
    # importing a model file (docs/import.md)
    Code("import", "error", "import", "a model file that cannot be read: not ONNX, truncated, "
         "a protobuf bomb, a malformed node or layer, no input shape"),
    Code("import-unsupported", "error", "import", "a node or layer of a model file that cnncalc "
         "cannot represent (named, with its op type and where it is)"),
    Code("import-shape", "error", "import", "a layer whose shape cnncalc computes differently "
         "from what the model file states"),
    Code("import-params", "error", "import", "a layer whose weights hold another number of "
         "parameters than cnncalc counts for it"),
    Code("prototxt", "error", "import", "a Caffe prototxt that is not valid protobuf text"),
    Code("missing-extra", "error", "import", "reading this model format needs an optional extra "
         "(pip install 'cnncalc[onnx]', ...)"),
    # building the graph
    Code("spec", "error", "build", "the document's structure is wrong (not a layer, not a list, "
         "a missing 'input' or 'layers')"),
    Code("unknown-key", "error", "build", "a key that is not part of the spec format"),
    Code("unknown-kind", "error", "build", "a layer kind that does not exist"),
    Code("unknown-attribute", "error", "build", "an attribute the layer kind does not take"),
    Code("attribute", "error", "build", "an attribute value of the wrong type or range, or a "
         "required attribute missing"),
    Code("type", "error", "build", "a value of the wrong type for a spec key"),
    Code("expression", "error", "build", "a block-parameter expression ($c * 2) that fails"),
    Code("input-shape", "error", "build", "the network input is not channels then 0 to 3 "
         "positive sizes"),
    Code("invalid-name", "error", "build", "a layer, block or parameter name that is not usable"),
    Code("duplicate-name", "error", "build", "two layers with one name"),
    Code("unknown-input", "error", "build", "'inputs' names no layer above this one"),
    Code("recursive-block", "error", "build", "a block that uses itself"),
    Code("arity", "error", "build", "a layer given too few or too many inputs"),
    Code("cycle", "error", "build", "layers that read each other (graphs built in Python)"),
    Code("unknown-code", "error", "build", "lint: disable names a code that does not exist"),
    Code("include", "error", "build", "an included file that is missing, outside the spec's "
         "folder, or includes itself"),
    # walking the graph
    Code("shape", "error", "walk", "a layer PyTorch would refuse for its input shape"),
    Code("input-changes-params", "warning", "walk", "at the --input size the network has other "
         "parameters than at the spec's input (a trained model would not load)"),
    Code("merge-mismatch", "error", "walk", "inputs of concat/add whose shapes do not fit"),
    # lint (warnings)
    Code("dropped-pixels", "warning", "lint", "a stride that does not divide the padded input: "
         "the last input pixels are never read"),
    Code("padding-not-same", "warning", "lint", "padding that keeps the size almost, but not "
         "exactly ('same' was probably meant)"),
    Code("unaligned-merge", "warning", "lint", "a merge of paths whose receptive fields are not "
         "aligned (different jumps or centres)"),
    Code("rf-untracked", "warning", "lint", "receptive fields too irregular or too costly to "
         "follow (a pattern repeating only every more than 4096 units after many upsamplings, "
         "or work beyond the bounds in docs/limits.md)"),
    Code("rf-covers-input", "warning", "lint", "every unit sees the whole input long before the "
         "end of the network"),
    Code("dead-layer", "warning", "lint", "a layer whose output nothing uses"),
    Code("training-refused", "warning", "lint", "a layer PyTorch refuses to run in training for "
         "this batch: batch norm over one value per channel, instance norm over one position"),
    # checks
    Code("expect", "error", "expect", "a layer's 'expect:' does not hold"),
    Code("budget", "error", "budget", "the network exceeds a budget (spec or command line)"),
)

CODES: dict[str, Code] = {c.code: c for c in _ALL}
LINT_CODES: tuple[str, ...] = tuple(c.code for c in _ALL if c.stage == "lint")
"""Codes of the lint rules: warnings that ``lint: {disable: [...]}`` can turn off."""
