"""Regenerate the Keras fixtures in tests/models/ from Keras itself (not a cnncalc dependency):

    pip install --target /tmp/keras keras && KERAS_BACKEND=torch PYTHONPATH=/tmp/keras \\
        python scripts/keras_fixtures.py

Writes keras_resnet50.json (keras.applications.ResNet50(weights=None).to_json(): the
architecture only, no weights are downloaded), small.keras (a .keras archive of a small
functional model with its weights) and prints Keras's own parameter counts, which
tests/test_import_keras.py holds cnncalc to.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras

MODELS = Path(__file__).resolve().parents[1] / "tests" / "models"


def counts(model: keras.Model) -> tuple[int, int]:
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    frozen = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    return trainable, frozen


def main() -> None:
    resnet = keras.applications.ResNet50(weights=None)
    (MODELS / "keras_resnet50.json").write_text(json.dumps(json.loads(resnet.to_json())) + "\n")
    print("ResNet50 trainable, non-trainable:", counts(resnet), "keras", keras.__version__)
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="stem")(inputs)
    x = keras.layers.DepthwiseConv2D(3, strides=2, padding="same", name="dw")(x)
    x = keras.layers.BatchNormalization(name="bn")(x)
    y = keras.layers.SeparableConv2D(16, 3, padding="same", name="sep")(x)
    x = keras.layers.Add(name="res")([x, y])
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Concatenate(name="cat")([x, keras.layers.ReLU(name="r")(x)])
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dropout(0.2, name="drop")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="fc")(x)
    small = keras.Model(inputs, outputs, name="small")
    small.save(MODELS / "small.keras")
    print("small trainable, non-trainable:", counts(small))


if __name__ == "__main__":
    main()
