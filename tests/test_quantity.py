"""The one grammar of numbers written as text (cnncalc/model/quantity.py, docs/conventions.md):
counts and byte sizes with SI and binary suffixes, read exactly; sizes like 3x224x224; ranges
like 128:512:32 — and every option, spec field and command that takes them agrees."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.model.quantity import (
    QuantityError,
    parse_memory,
    parse_quantity,
    parse_range,
    parse_size,
    parse_sizes,
)

from .conftest import Result

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
    ("24 GiB", True, 24 * 2**30),
    ("1.5GiB", True, 3 * 2**29),
    ("24GB", True, 24 * 10**9),
    ("100B", True, 100),
    ("2KiB", True, 2048),
    ("1PiB", True, 2**50),
    (1024, True, 1024),
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
    ("8G", True, "ambiguous: write 8GiB .* or 8GB"),
    ("24k", True, "ambiguous: write 24KiB"),
    ("8gib", True, "did you mean GiB?"),
    ("2kib", True, "did you mean KiB?"),
    ("8gb", True, "did you mean GB?"),
    ("25m", True, "did you mean M\\? \\(for bytes: MiB or MB\\)"),
    ("24 parsecs", True, "unknown suffix 'parsecs'"),
    ("GiB", True, "expected a number"),
    ("1.2.3GiB", True, "expected a number"),
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


@pytest.mark.parametrize(("text", "value"), [("512MiB", 512 * 2**20), ("8GB", 8 * 10**9),
                                             ("4096", 4096), (1024, 1024)])
def test_memory_sizes(text: object, value: int) -> None:
    assert parse_memory(text) == value


@pytest.mark.parametrize(("text", "message"), [
    ("0", "must be positive"), ("0GiB", "must be positive"), ("-1GiB", "must not be negative"),
    ("lots", "expected a number"), ("24G", "ambiguous"),
])
def test_memory_sizes_refused(text: str, message: str) -> None:
    with pytest.raises(QuantityError, match=message):
        parse_memory(text)


# --- sizes --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "sizes"), [
    ("224", (224,)), ("3x224x224", (3, 224, 224)), ("3×224×224", (3, 224, 224)),
    ("3*224*224", (3, 224, 224)), ("3,224,224", (3, 224, 224)), ("[3, 224, 224]", (3, 224, 224)),
    ("(3, 224)", (3, 224)), (" 16X112x112 ", (16, 112, 112)), ("1_024", (1024,)),
    ("1" + "0" * 21, (10**21,)),  # the quick calculators compute exactly beyond 64 bits
])
def test_sizes(text: str, sizes: tuple[int, ...]) -> None:
    assert parse_sizes(text) == sizes


@pytest.mark.parametrize(("text", "minimum", "message"), [
    ("3²", 1, "expected positive whole numbers like 224 or 3x224x224, got '3²'"),
    ("1x3²x32", 1, "expected positive whole numbers like 224 or 3x224x224, got '1x3²x32'"),
    ("٣", 1, "expected positive whole numbers"),  # a digit, but not an ASCII one
    ("22x", 1, "expected positive whole numbers"),
    ("3xabc", 1, "expected positive whole numbers"),
    ("", 1, "expected positive whole numbers"),
    ("0x3", 1, "sizes must be at least 1, got 0 in '0x3'"),
    ("-1", 0, "sizes must be at least 0, got -1"),
    ("1.5", 0, "expected whole numbers like 224"),
    ("9" * 101, 1, "more than 100 digits"),
    ("x" * 500, 1, "got 'xxxx"),  # quoted, but cut short
])
def test_sizes_refused(text: str, minimum: int, message: str) -> None:
    with pytest.raises(QuantityError, match=message) as caught:
        parse_sizes(text, minimum=minimum)
    assert len(str(caught.value)) < 150


def test_one_size_and_ranges() -> None:
    assert parse_size("64") == 64
    with pytest.raises(QuantityError, match="expected one whole number, got '3x3'"):
        parse_size("3x3")
    assert parse_range("128:512:32") == range(128, 513, 32)
    assert list(parse_range("1:4")) == [1, 2, 3, 4]  # both ends included
    assert parse_range("7") == range(7, 8)
    assert parse_range("0:3", minimum=0) == range(0, 4)
    for bad, message in [("5:3", "is empty"), ("0:4", "at least 1"), ("1:4:0", "step must be"),
                         ("1:2:3:4", "start:stop"), ("a:b", "start:stop"), ("3²:9", "start:stop")]:
        with pytest.raises(QuantityError, match=message):
            parse_range(bad)


# --- one grammar everywhere ---------------------------------------------------------------------

LENET_HEAD = "input: [1, 32, 32]\nlayers:\n  - conv: {out: 6, kernel: 5}\n"


@pytest.mark.parametrize(("size", "accepted"), [
    ("8GiB", True), ("8GB", True), ("8Gi", True), ("8G", False), ("8gib", False), ("8Gb", False),
])
def test_every_memory_option_reads_sizes_alike(
        cli: Callable[..., Result], write_spec: Callable[[str], Path], size: str,
        accepted: bool) -> None:
    """`summary --fit`, `check --max-memory`, `validate --max-memory` and a spec's memory budget
    accept and refuse the same byte sizes (the issue: --fit refused 8G which the budget took,
    and took 8gib which the budget refused)."""
    fit = cli("summary", "lenet5", "--fit", size)
    check = cli("check", "lenet5", "--max-memory", size)
    validate = cli("validate", "lenet5", "--max-memory", size, "--no-progress")
    budget = cli("check", str(write_spec(LENET_HEAD + f"budget: {{memory: {size}}}\n")))
    expected = 0 if accepted else 2
    assert (fit.code, check.code, validate.code) == (expected, expected, expected)
    assert budget.code == (0 if accepted else 1)
    if not accepted:
        with pytest.raises(QuantityError) as refused:
            parse_memory(size)
        message = str(refused.value)
        for result in (fit, check, validate):
            assert message in result.err.replace("\n", " ")
        assert message in budget.out


@pytest.mark.parametrize("bad", ["1x3²x32", "3²"])
def test_every_size_option_reads_sizes_alike(cli: Callable[..., Result],
                                             write_spec: Callable[[str], Path], bad: str) -> None:
    """--input, --sweep-input, the quick calculators, chain steps and a spec's input say the
    same sentence for the same mistake, never Python's 'invalid literal for int()'."""
    sentence = f"expected positive whole numbers like 224 or 3x224x224, got '{bad}'"
    results = [cli("summary", "lenet5", "--input", bad),
               cli("summary", "lenet5", "--sweep-input", bad),
               cli("conv", bad, "-k", "3"),
               cli("chain", "224", f"conv k{bad}"),
               cli("summary", str(write_spec(f"input: '{bad}'\nlayers: [relu]\n")))]
    for result in results:
        assert sentence in result.err, result
        assert "invalid literal" not in result.err and "Traceback" not in result.err
    assert [r.code for r in results] == [2, 2, 2, 2, 1]
