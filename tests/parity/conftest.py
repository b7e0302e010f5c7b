"""The parity suite runs only where the optional ``torch`` extra is installed
(``pip install ".[test,torch]"``, as .ci/run does)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True, scope="session")
def _deterministic_torch() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(min(2, torch.get_num_threads()))
