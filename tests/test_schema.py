"""The JSON Schema of the spec format (``cnncalc schema``): a valid draft-07 schema, generated
from the registry, that accepts every bundled spec and rejects exactly the broken specs whose
mistake a schema can see (``# schema: invalid`` in tests/broken)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cnncalc.layers.base import kinds
from cnncalc.spec.schema import spec_schema

from .conftest import ROOT, SPECS, Result

jsonschema = pytest.importorskip("jsonschema")
BROKEN = ROOT / "tests" / "broken"
SCHEMA_FILE = ROOT / "docs" / "spec.schema.json"


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = spec_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def errors(validator: Any, path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(data)]


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_specs_are_valid(validator: Any, path: Path) -> None:
    assert errors(validator, path) == []


def _loadable_broken() -> list[Path]:
    out = []
    for path in sorted(BROKEN.glob("*.yaml")):
        if b"# schema: skip" in path.read_bytes()[:300]:  # 10^8 values by alias: not for a schema
            continue
        try:
            if isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict):
                out.append(path)
        except (yaml.YAMLError, UnicodeDecodeError):
            continue  # not YAML at all: no schema applies
    return out


@pytest.mark.parametrize("path", _loadable_broken(), ids=lambda p: p.stem)
def test_schema_rejects_exactly_the_schema_level_mistakes(validator: Any, path: Path) -> None:
    schema_level = "# schema: invalid" in path.read_text(encoding="utf-8")
    found = errors(validator, path)
    if schema_level:
        assert found, f"{path.name} is marked schema-level but the schema accepts it"
    else:
        assert found == [], f"{path.name}: the schema is stricter than the loader: {found}"


def test_schema_level_corpus_is_not_trivial() -> None:
    marked = [p for p in BROKEN.glob("*.yaml") if "# schema: invalid" in p.read_text("latin-1")]
    assert len(marked) >= 8


@pytest.mark.parametrize(("text", "valid"), [
    ("input: [3, 8, 8]\nlayers: [relu]\n", True),
    ("input: 3x8x8\nlayers: [relu]\n", True),
    ("input: [3, 8, 8]\nlayers: []\n", False),
    ("layers: [relu]\n", False),
    ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 8, kernel: [1, 7], padding: [[0, 0], [3, 3]]}\n",
     True),
    ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 8, kernel: 3, padding: sideways}\n", False),
    ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 8, kernel: 3, stride: 0}\n", False),
    ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 8, kernel: 3}\n    nmae: x\n", False),
    ("input: [3, 8, 8]\nlayers:\n  - maxpool: {kernel_size: 2, ceil_mode: caffe}\n", True),
    ("input: [3, 8, 8]\nlayers:\n  - concat: [[], [conv: {out: 8, kernel: 1}]]\n", True),
    ("input: [3, 8, 8]\nlayers:\n  - add: {branches: [[], []], name: a}\n", True),
    ("input: [3, 8, 8]\nlayers:\n  - repeat: 2\n    layers: [relu]\n    lint: {disable: all}\n",
     True),
    ("input: [3, 8, 8]\nlayers:\n  - repeat: 2\n    layer: [relu]\n", False),
    ("input: [3, 8, 8]\nblocks:\n  b:\n    params: {c: null}\n    layers:\n"
     "      - conv: {out: $c * 2, kernel: 1}\n        expect: {shape: [$c * 2, null, null]}\n"
     "layers:\n  - b: {c: 4, name: first}\n", True),
    ("input: [3, 8, 8]\nlayers:\n  - {name: lonely}\n", False),
    ("input: [3, 8, 8]\nbudget: {params: 25M, macs: 4.2G, memory: {max: 8GiB, batch: 32, "
     "dtype: float16, phase: inference}}\nlayers: [relu]\n", True),
    ("input: [3, 8, 8]\nbudget: {params: 25 millions}\nlayers: [relu]\n", False),
    ("input: [3, 8, 8]\nbudget: {memory: {max: 8GiB, dtype: float8}}\nlayers: [relu]\n", False),
    ("input: [3, 8, 8]\nlayers:\n  - relu:\n    expect: {rf: 1, jump: '1/2', params: {max: 0}}\n",
     True),
    ("input: [3, 8, 8]\nlayers:\n  - relu:\n    expect: {size: 1}\n", False),
])
def test_schema_cases(validator: Any, text: str, valid: bool) -> None:
    found = list(validator.iter_errors(yaml.safe_load(text)))
    assert (not found) == valid, [e.message[:200] for e in found]


def test_every_kind_and_attribute_is_in_the_schema() -> None:
    schema = spec_schema()
    definitions = schema["definitions"]
    for name, cls in kinds().items():
        attrs = definitions[f"attributes.{name}"]["properties"]
        for info in cls.attributes():
            assert info.name in attrs and all(a in attrs for a in info.aliases), (name, info.name)
        assert set(cls.aliases) <= set(schema["properties"]["defaults"]["properties"])


def test_schema_command_prints_the_generated_schema(cli: Callable[..., Result]) -> None:
    result = cli("schema")
    assert result.code == 0
    assert json.loads(result.out) == spec_schema()
    compact = cli("schema", "--compact").out
    assert "\n" not in compact.strip() and json.loads(compact) == spec_schema()


def test_checked_in_schema_is_current(request: pytest.FixtureRequest) -> None:
    """docs/spec.schema.json is what editors point at; it must equal `cnncalc schema`."""
    text = json.dumps(spec_schema(), indent=2, ensure_ascii=False) + "\n"
    if request.config.getoption("--update-golden"):
        SCHEMA_FILE.write_text(text, encoding="utf-8")
    assert SCHEMA_FILE.read_text(encoding="utf-8") == text, \
        "docs/spec.schema.json is stale: run `cnncalc schema > docs/spec.schema.json`"
