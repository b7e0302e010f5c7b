"""Exact parsing of budget quantities: SI and binary suffixes, never a float rounding."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.model.quantity import QuantityError, parse_quantity

CASES = [
    ("25M", False, 25_000_000),
    ("4.2G", False, 4_200_000_000),
    ("1.5G", False, 1_500_000_000),
    ("138.357544M", False, 138_357_544),
    ("25_000_000", False, 25_000_000),
    ("25,000,000", False, 25_000_000),
    ("2.5e7", False, 25_000_000),
    ("1e3", False, 1000),
    ("100k", False, 100_000),
    ("100K", False, 100_000),
    ("1Ki", False, 1024),
    ("1.5Ki", False, 1536),
    ("3T", False, 3 * 10**12),
    ("2P", False, 2 * 10**15),
    (" 7 M ", False, 7_000_000),
    ("0", False, 0),
    (61706, False, 61706),
    (25000000.0, False, 25_000_000),
    ("8GiB", True, 8 * 2**30),
    ("8Gi", True, 8 * 2**30),
    ("8GB", True, 8 * 10**9),
    ("512MiB", True, 512 * 2**20),
    ("0.5GiB", True, 2**29),
    ("1.5KiB", True, 1536),
    ("4096", True, 4096),
    ("4096B", True, 4096),
    ("1TiB", True, 2**40),
]


@pytest.mark.parametrize(("text", "is_bytes", "value"), CASES)
def test_exact_values(text: object, is_bytes: bool, value: int) -> None:
    assert parse_quantity(text, bytes_unit=is_bytes) == value


@pytest.mark.parametrize(("text", "is_bytes", "message"), [
    ("1.5", False, "not a whole number"),
    ("0.1KiB", True, "not a whole number of bytes"),
    ("1.0000001k", False, "not a whole number"),
    ("25m", False, "did you mean M?"),
    ("8gi", True, "did you mean Gi?"),
    ("8Gb", True, "write B for bytes"),
    ("8GiB", False, "a count takes no 'B'"),
    ("4,2G", False, "commas group digits in threes"),
    ("-3", False, "must not be negative"),
    (-3, False, "must not be negative"),
    ("lots", False, "expected a number"),
    ("", False, "expected a number"),
    (True, False, "expected a number"),
    (1.5, False, "not a whole number"),
    (float("nan"), False, "finite"),
    ([1], False, "expected a number"),
])
def test_refused(text: object, is_bytes: bool, message: str) -> None:
    with pytest.raises(QuantityError, match=message):
        parse_quantity(text, bytes_unit=is_bytes)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**18),
       st.sampled_from([("", 1), ("k", 10**3), ("M", 10**6), ("G", 10**9), ("Ki", 2**10),
                        ("Mi", 2**20), ("Gi", 2**30)]))
def test_integer_with_suffix_multiplies_exactly(n: int, suffix: tuple[str, int]) -> None:
    text, factor = suffix
    assert parse_quantity(f"{n}{text}") == n * factor
    assert parse_quantity(f"{n:_}{text}") == n * factor


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=9))
def test_decimal_fraction_is_exact_or_refused(n: int, places: int) -> None:
    text = f"{n / 10**places:.{places}f}G"  # n·10^(9−places), exact when places ≤ 9
    whole, _, frac = text[:-1].partition(".")
    expected = int(whole + frac) * 10**(9 - places)
    assert parse_quantity(text) == expected
