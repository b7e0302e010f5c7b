"""The JSON Schema (draft-07) of the spec format, generated from the layer registry.

Every layer kind contributes its attributes (each attribute type's ``json_schema()``), docs and
aliases, so the schema cannot drift from what the loader accepts. Editors with a YAML language
server use it to validate and complete spec files (docs/ci.md shows the wiring);
``cnncalc schema`` prints it.

A schema sees one file without running it, so it is looser than the loader where the truth
depends on other parts of the file: a bare word may name a block defined above (so a misspelt
kind is the loader's to catch), a required attribute may come from ``defaults:``, and
``$param`` expressions stand for any value inside blocks.
"""

from __future__ import annotations

import copy
from typing import Any

from cnncalc.analysis.memory import DTYPES, OPTIMIZERS
from cnncalc.checks.codes import LINT_CODES
from cnncalc.checks.expectations import DEFAULT_OPTIMIZER, EXPECT_KEYS, PHASES
from cnncalc.layers.base import Layer, kinds
from cnncalc.model.attrs import json_value
from cnncalc.model.graph import ALL
from cnncalc.spec.build import BLOCK_KEYS, COMMON_KEYS, REPEAT_KEYS, TOP_KEYS

DRAFT = "http://json-schema.org/draft-07/schema#"
NAME_PATTERN = (r"^[^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"
                r"[^\x00-\x2c\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]*$")
"""The builder's name rule (``build._NAME_RE``) in a form that JavaScript's and Python's regular
expressions read alike: ASCII letters, digits, ``_ . -`` as the builder allows them, and any
character beyond ASCII (letters of every script; the builder refuses the rare non-ASCII
punctuation)."""
IDENTIFIER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
EXPRESSION_PATTERN = r"^\s*\$"
COUNT_PATTERN = (r"^\s*[0-9][0-9_,]*(\.[0-9]+)?([eE][+-]?[0-9]{1,3})?\s*"
                 r"([kKMGTP]|[KMGTP]i)?\s*$")
BYTES_PATTERN = (r"^\s*[0-9][0-9_,]*(\.[0-9]+)?([eE][+-]?[0-9]{1,3})?\s*"
                 r"([kKMGTP]|[KMGTP]i)?B?\s*$")
SHAPE_PATTERN = r"^\s*[\[(]?\s*[0-9]+(\s*[x×*,]\s*[0-9]+){0,3}\s*[\])]?\s*$"

_REF = "#/definitions/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def spec_schema() -> dict[str, Any]:
    """The whole schema, as plain JSON-able data."""
    registry = kinds()
    definitions: dict[str, Any] = {
        "expression": {"type": "string", "pattern": EXPRESSION_PATTERN,
                       "description": "a block parameter or expression: $planes, $c * 4"},
        "name": {"description": "a layer name: letters, digits, _ . - (default: kind + counter); "
                                "a whole number names it like a PyTorch Sequential's modules",
                 "anyOf": [{"type": "string", "pattern": NAME_PATTERN},
                           {"type": "integer", "minimum": 0}]},
        "inputs": {"description": "earlier layers to read instead of the previous one "
                                  "('input' is the network input)",
                   "anyOf": [{"type": "string"},
                             {"type": "array", "items": {"type": "string"}, "minItems": 1}]},
        "trainable": {"type": "boolean",
                      "description": "false freezes the layer: its parameters are non-trainable"},
        "shares": {"type": "string",
                   "description": "a layer (or, on a block use, a use of the same block) above "
                                  "whose weights this one uses"},
        "count": {"description": "an exact count: 25000000, 25M, 4.2G, 1.5Ki",
                  "anyOf": [{"type": "integer", "minimum": 0},
                            {"type": "string", "pattern": COUNT_PATTERN}]},
        "bytes": {"description": "a byte size: 8GiB, 512MiB, 8GB (decimal), 1073741824",
                  "anyOf": [{"type": "integer", "minimum": 0},
                            {"type": "string", "pattern": BYTES_PATTERN}]},
        "shape": {"description": "channels first, then 0 to 3 spatial sizes: [3, 224, 224]",
                  "anyOf": [{"type": "array", "items": {"type": "integer", "minimum": 1},
                             "minItems": 1, "maxItems": 4},
                            {"type": "string", "pattern": SHAPE_PATTERN}]},
        "lint": _lint_schema(),
        "expect": _expect_schema(),
        "budget": _budget_schema(),
        "layers": {"type": "array", "items": _ref("layer"),
                   "description": "layers in order; each reads the previous one's output"},
        "branch": {"description": "a branch of a merge: a list of layers ([] is the identity), "
                                  "one layer, or a $parameter holding layers",
                   "anyOf": [_ref("layers"), _ref("layer")]},
    }
    common = {key: _ref(key) for key in COMMON_KEYS}
    items: list[Any] = [
        {"type": "string", "enum": sorted(_spellings(registry)),
         "description": "a layer kind with every attribute at its default"},
        {"type": "string", "pattern": r"^(\s*\$.*|[A-Za-z_][A-Za-z0-9_]*)$",
         "description": "a block used with its defaults, or a $parameter holding layers"},
    ]
    for kind, cls in registry.items():
        definitions[f"kind.{kind}"] = _kind_value_schema(cls, common)
        definitions[f"attributes.{kind}"] = _attributes_schema(cls)
        for spelling in (kind, *cls.aliases):
            items.append({"type": "object", "required": [spelling],
                          "properties": {spelling: _ref(f"kind.{kind}"), **common},
                          "additionalProperties": False})
    items.append(_repeat_schema())
    items.append(_block_use_schema(registry, common))
    definitions["layer"] = {"description": "one layer: a kind, a kind with attributes, a repeat, "
                                           "or a block use", "anyOf": items}
    definitions["block"] = {
        "description": "a reusable group of layers, optionally with parameters",
        "anyOf": [_ref("layers"), {
            "type": "object", "required": ["layers"], "additionalProperties": False,
            "properties": {
                "params": {"description": "required parameter names, or name → default "
                                          "(null: required)",
                           "anyOf": [{"type": "array",
                                      "items": {"type": "string", "pattern": NAME_PATTERN}},
                                     {"type": "object",
                                      "propertyNames": {"pattern": NAME_PATTERN}}]},
                "layers": _ref("layers"),
                "description": {"type": "string"},
            }}]}
    assert set(definitions["block"]["anyOf"][1]["properties"]) == set(BLOCK_KEYS)
    top = {
        "name": {"type": "string", "description": "the network's name (default: the file name)"},
        "description": {"type": "string"},
        "input": _ref("shape"),
        "inputs": {"type": "object", "minProperties": 1, "additionalProperties": _ref("shape"),
                   "propertyNames": {"pattern": NAME_PATTERN},
                   "description": "several inputs by name: {image: [3, 224, 224], depth: "
                                  "[1, 224, 224]} (instead of input)"},
        "batch": {"type": "integer", "minimum": 1, "default": 1,
                  "description": "batch size (MACs and memory scale with it)"},
        "include": {"description": "spec files whose blocks this one uses (paths relative to "
                                   "this file, inside its folder)",
                    "anyOf": [{"type": "string"},
                              {"type": "array", "items": {"type": "string"}}]},
        "defaults": {"type": "object", "additionalProperties": False,
                     "description": "default attributes per layer kind",
                     "properties": {s: _ref(f"attributes.{cls.kind}")
                                    for cls in registry.values()
                                    for s in (cls.kind, *cls.aliases)}},
        "blocks": {"type": "object", "additionalProperties": _ref("block"),
                   "propertyNames": {"pattern": NAME_PATTERN},
                   "description": "reusable, parametrised groups of layers"},
        "layers": {"type": "array", "items": _ref("layer"), "minItems": 1,
                   "description": "the network, in order; each layer reads the previous one"},
        "lint": _ref("lint"),
        "budget": _ref("budget"),
    }
    assert tuple(top) == TOP_KEYS
    return {
        "$schema": DRAFT,
        "title": "cnncalc spec",
        "description": "A CNN architecture for cnncalc (docs/spec-format.md). Generated by "
                       "`cnncalc schema` from the layer registry.",
        "type": "object",
        "required": ["layers"],
        "oneOf": [{"required": ["input"]}, {"required": ["inputs"]}],
        "additionalProperties": False,
        "properties": top,
        "definitions": definitions,
    }


def _spellings(registry: dict[str, type[Layer]]) -> list[str]:
    return [s for cls in registry.values() for s in (cls.kind, *cls.aliases)]


def _attributes_schema(cls: type[Layer]) -> dict[str, Any]:
    """The attributes of one kind, each under every spelling."""
    props: dict[str, Any] = {}
    for info in cls.attributes():
        schema = _allow_expressions(info.type.json_schema())
        doc = info.doc + (" (required)" if info.required else "")
        schema["description"] = f"{doc} — {info.type.describe()}"
        if not info.required:
            schema["default"] = json_value(info.default)
        for spelling in (info.name, *info.aliases):
            props[spelling] = schema if spelling == info.name else {
                **schema, "description": f"alias of {info.name}: {schema['description']}"}
    return {"type": "object", "properties": props, "additionalProperties": False,
            "description": cls.doc}


def _kind_value_schema(cls: type[Layer], common: dict[str, Any]) -> dict[str, Any]:
    """What may follow ``kind:``: its attributes (with the common keys), nothing, or for a merge
    a list of branches."""
    attrs = copy.deepcopy(_attributes_schema(cls))
    attrs["properties"].update(common)
    options: list[Any] = [attrs, {"type": "null"}]
    if cls.merges():
        attrs["properties"]["branches"] = {"type": "array", "items": _ref("branch")}
        options.append({"type": "array", "items": _ref("branch"),
                        "description": "parallel branches, each starting from this layer's "
                                       "input"})
    return {"description": cls.doc, "anyOf": options}


def _repeat_schema() -> dict[str, Any]:
    props = {
        "repeat": {"description": "how many times to repeat the layers (0: none)",
                   "anyOf": [{"type": "integer", "minimum": 0}, _ref("expression")]},
        "layers": _ref("layers"),
        "name": _ref("name"),
        "start": {"description": "the number of the first pass (default 1; 0 as PyTorch "
                                 "numbers a Sequential)",
                  "anyOf": [{"type": "integer", "minimum": 0}, _ref("expression")]},
        "index": {"type": "string", "pattern": IDENTIFIER_PATTERN,
                  "description": "a name for the pass number in the layers' expressions ($i)"},
        "trainable": _ref("trainable"),
        "expect": _ref("expect"),
        "lint": _ref("lint"),
    }
    assert tuple(props) == REPEAT_KEYS
    return {"type": "object", "required": ["repeat", "layers"], "properties": props,
            "additionalProperties": False, "description": "repeat layers N times"}


def _block_use_schema(registry: dict[str, type[Layer]], common: dict[str, Any]) -> dict[str, Any]:
    """A block used like a kind (``- inception: {c1: 64, ...}``): any key that is not a kind,
    ``repeat`` or only common keys; the block's parameters are checked by the loader."""
    return {
        "type": "object",
        "description": "a block use: the block's name mapped to its parameters",
        "properties": common,
        "propertyNames": {"not": {"enum": [*_spellings(registry), "repeat"]}},
        "not": {"propertyNames": {"enum": list(COMMON_KEYS)}},
        "additionalProperties": {"anyOf": [{"type": "object"}, {"type": "null"}]},
    }


def _lint_schema() -> dict[str, Any]:
    code = {"enum": [*LINT_CODES, ALL]}
    return {"type": "object", "additionalProperties": False,
            "description": "turn lint rules off here (docs/ci.md)",
            "properties": {"disable": {"anyOf": [code, {"type": "array", "items": code}]}}}


def _expect_schema() -> dict[str, Any]:
    positive = {"anyOf": [{"type": "integer", "minimum": 1},
                          {"type": "string", "pattern": r"^\s*[0-9]+\s*/\s*[0-9]+\s*$"},
                          _ref("expression")]}
    per_axis = {"anyOf": [positive, {"type": "array", "items": positive, "minItems": 1,
                                     "maxItems": 3}]}
    bound = {"anyOf": [_ref("count"), _ref("expression"),
                       {"type": "object", "additionalProperties": False, "minProperties": 1,
                        "properties": {"min": _ref("count"), "max": _ref("count")}}]}
    size = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}, _ref("expression")]}
    props = {
        "shape": {"description": "the output shape, channels first (null matches any size)",
                  "anyOf": [{"type": "array", "items": size, "minItems": 1, "maxItems": 4},
                            {"type": "string", "pattern": SHAPE_PATTERN}]},
        "rf": {**per_axis, "description": "receptive field size, one or per axis"},
        "jump": {**per_axis, "description": "effective stride, one or per axis"},
        "params": {**bound, "description": "parameters: exact, or {min, max}"},
        "macs": {**bound, "description": "MACs at the spec's batch: exact, or {min, max}"},
    }
    assert tuple(props) == EXPECT_KEYS
    return {"type": "object", "additionalProperties": False, "properties": props,
            "description": "what this layer must give; `cnncalc check` fails otherwise"}


def _budget_schema() -> dict[str, Any]:
    memory = {"anyOf": [_ref("bytes"), {
        "type": "object", "required": ["max"], "additionalProperties": False,
        "properties": {
            "max": _ref("bytes"),
            "batch": {"type": "integer", "minimum": 1},
            "dtype": {"enum": list(DTYPES), "default": "float32"},
            "phase": {"enum": list(PHASES), "default": "training"},
            "optimizer": {"enum": list(OPTIMIZERS), "default": DEFAULT_OPTIMIZER},
        }}], "description": "activation memory at a batch and dtype"}
    return {"type": "object", "additionalProperties": False,
            "description": "upper limits for the whole network; `cnncalc check` fails above them",
            "properties": {"params": _ref("count"), "trainable_params": _ref("count"),
                           "macs": _ref("count"), "flops": _ref("count"), "memory": memory}}


def _allow_expressions(schema: dict[str, Any]) -> dict[str, Any]:
    """Let every scalar in an attribute's schema be a ``$`` expression too (inside blocks)."""
    def walk(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        for key in ("oneOf", "anyOf"):
            if key in node:  # an expression may now match several branches: anyOf, not oneOf
                rest = {k: v for k, v in node.items() if k != key}
                return {**rest, "anyOf": [walk(n) for n in node[key]]}
        if node.get("type") == "array" and "items" in node:
            return {**node, "items": walk(node["items"])}
        if node.get("type") in ("integer", "number", "boolean") or "enum" in node \
                or "const" in node:
            return {"anyOf": [node, _ref("expression")]}
        return node

    return dict(walk(copy.deepcopy(schema)))
