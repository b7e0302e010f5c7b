"""The parity suite runs where the optional ``torch`` extra is installed
(``pip install ".[test,torch]"``, as .ci/run does); see _torch.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _deterministic_torch() -> Iterator[None]:
    from ._torch import import_torch

    torch = import_torch()
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(min(2, threads))  # the machines running this are shared
    yield
    torch.set_num_threads(threads)
