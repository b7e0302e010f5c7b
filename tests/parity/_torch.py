"""How the parity tests get torch: skipped where the optional extra is not installed, but a hard
failure where CNNCALC_REQUIRE_TORCH=1 (set by .ci/run), so CI can never pass by skipping them."""

from __future__ import annotations

import os
from typing import Any

import pytest


def import_torch() -> Any:
    if os.environ.get("CNNCALC_REQUIRE_TORCH") == "1":
        import torch

        return torch
    return pytest.importorskip("torch", reason="the parity suite needs the torch extra")
