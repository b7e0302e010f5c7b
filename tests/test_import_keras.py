"""Keras models without Keras: a ResNet50 config and a small .keras archive made by Keras 3.15
(scripts/keras_fixtures.py), held to Keras's own parameter counts, and configs written by hand
for the Keras 2 format and the errors."""

from __future__ import annotations

import contextlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.analysis.walk import analyze
from cnncalc.importers import import_model, is_model_file
from cnncalc.model.errors import SpecError

MODELS = Path(__file__).resolve().parent / "models"


def test_keras_resnet50_counts_as_keras_does() -> None:
    """keras.applications.ResNet50: 25,583,592 trainable and 53,120 non-trainable parameters
    (Keras's count_params; 25,636,712 in all, as its documentation lists). Keras's
    non-trainable ones are the batch norms' moving statistics: cnncalc's buffers."""
    result = import_model(str(MODELS / "keras_resnet50.json"))
    totals = analyze(result.graph).totals
    assert (totals.trainable_params, totals.buffers) == (25_583_592, 53_120)
    assert totals.params + totals.buffers == 25_636_712
    assert result.imported.input_shape == (3, 224, 224)
    assert "blocks:" in result.text


def test_small_keras_archive() -> None:
    """Depthwise and separable convolutions, an add, a concat, fused activations."""
    result = import_model(str(MODELS / "small.keras"))
    report = analyze(result.graph)
    assert (report.totals.trainable_params, report.totals.buffers) == (1386, 32)
    assert report.output_shape.dims == (10,)
    assert "Keras 3.15.1" in result.text


KERAS2 = {
    "class_name": "Model", "keras_version": "2.4.0",
    "config": {
        "name": "k2", "layers": [
            {"class_name": "InputLayer", "name": "in",
             "config": {"batch_input_shape": [None, 28, 28, 1], "name": "in"},
             "inbound_nodes": []},
            {"class_name": "Conv2D", "name": "c",
             "config": {"name": "c", "filters": 4, "kernel_size": [3, 3], "strides": [1, 1],
                        "padding": "valid", "activation": "relu", "use_bias": True,
                        "trainable": False},
             "inbound_nodes": [[["in", 0, 0, {}]]]},
            {"class_name": "Flatten", "name": "f", "config": {"name": "f"},
             "inbound_nodes": [[["c", 0, 0, {}]]]},
            {"class_name": "Dense", "name": "d",
             "config": {"name": "d", "units": 10, "activation": "softmax", "use_bias": True},
             "inbound_nodes": [[["f", 0, 0, {}]]]},
        ],
        "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}}


def test_keras2_functional_config_with_a_frozen_layer(tmp_path: Path) -> None:
    path = tmp_path / "k2.json"
    path.write_text(json.dumps(KERAS2, indent=1))
    assert is_model_file(str(path))
    totals = analyze(import_model(str(path)).graph).totals
    assert totals.params == 4 * 9 + 4 + 26 * 26 * 4 * 10 + 10
    assert totals.non_trainable == 40 and totals.trainable_params == 27050


def test_sequential_config(tmp_path: Path) -> None:
    config = {"class_name": "Sequential", "config": {"name": "seq", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 16], "name": "x"}},
        {"class_name": "Dense", "config": {"name": "h", "units": 8, "activation": "relu"}},
        {"class_name": "Dense", "config": {"name": "o", "units": 2}}]}}
    path = tmp_path / "seq.json"
    path.write_text(json.dumps(config))
    assert analyze(import_model(str(path)).graph).totals.params == 16 * 8 + 8 + 8 * 2 + 2


def _with_layer(layer: dict[str, Any]) -> dict[str, Any]:
    doc = json.loads(json.dumps(KERAS2))
    doc["config"]["layers"].insert(2, layer)
    doc["config"]["layers"][3]["inbound_nodes"] = [[[layer["name"], 0, 0, {}]]]
    return doc


def test_unknown_layer_is_a_located_error(tmp_path: Path, cli: Any) -> None:
    doc = _with_layer({"class_name": "Attention", "name": "att", "config": {"name": "att"},
                       "inbound_nodes": [[["c", 0, 0, {}]]]})
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc, indent=1))
    result = cli("summary", str(path))
    assert result.code == 1 and "Traceback" not in result.err
    assert "m.json:" in result.err
    assert "layer 'att' (Attention): cnncalc cannot represent Keras's Attention layer" in \
        result.err


@pytest.mark.parametrize(("content", "message"), [
    (b"{not json", "not valid JSON"),
    (b'{"class_name": "Sequential", "config": []}', "not a Keras model config"),
])
def test_bad_json(content: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.keras.json"
    path.write_bytes(content)
    from cnncalc.importers.keras_config import read_keras
    from cnncalc.model.errors import SpecError

    with pytest.raises(SpecError, match=message):
        read_keras(str(path))


def test_bad_archives(tmp_path: Path, cli: Any) -> None:
    not_zip = tmp_path / "a.keras"
    not_zip.write_bytes(b"PK\x03\x04 truncated")
    no_config = tmp_path / "b.keras"
    with zipfile.ZipFile(no_config, "w") as archive:
        archive.writestr("metadata.json", "{}")
    for path, message in ((not_zip, "not a readable .keras archive"),
                          (no_config, "it has no config.json")):
        result = cli("summary", str(path))
        assert result.code == 1 and message in result.err and "Traceback" not in result.err


_JSON = st.recursive(st.none() | st.booleans() | st.integers(-3, 300) | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.sampled_from(["name", "config", "class_name", "units",
                                                        "filters", "kernel_size",
                                                        "inbound_nodes", "batch_shape"]),
                                       inner, max_size=4), max_leaves=20)
_LAYER = st.fixed_dictionaries({
    "class_name": st.sampled_from(["InputLayer", "Conv2D", "Dense", "Add", "Flatten",
                                   "Concatenate", "MaxPooling2D", "Activation", "Bogus"]),
    "config": st.dictionaries(st.sampled_from(["name", "units", "filters", "kernel_size",
                                               "batch_shape", "activation", "strides",
                                               "padding", "pool_size"]), _JSON, max_size=5),
    "inbound_nodes": _JSON, "name": st.text(max_size=4)})


@settings(max_examples=80)
@given(st.sampled_from(["Sequential", "Functional", "Model", "Other"]),
       st.lists(_LAYER, max_size=5))
def test_random_configs_give_errors_not_tracebacks(tmp_path_factory: Any, kind: str,
                                                   layers: list[Any]) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "m.json"
    first = {"class_name": "InputLayer", "name": "in", "inbound_nodes": [],
             "config": {"name": "in", "batch_shape": [None, 8, 8, 3]}}
    if kind == "Functional":  # each layer reads the one before it
        names = ["in", *[f"l{i}" for i in range(len(layers))]]
        for i, layer in enumerate(layers):
            layer["name"] = layer["config"]["name"] = names[i + 1]
            layer["inbound_nodes"] = [[[names[i], 0, 0, {}]]]
    path.write_text(json.dumps({"class_name": kind, "config": {"name": "m",
                                                               "layers": [first, *layers]}}))
    with contextlib.suppress(SpecError):
        import_model(str(path))
