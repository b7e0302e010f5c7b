"""Fuzz the spec loader, builder, walk and renderers for a bounded time.

    python benchmarks/fuzz.py                    # 60 s, atheris if installed, else mutation
    python benchmarks/fuzz.py --seconds 600      # a 10-minute run
    python benchmarks/fuzz.py --engine random    # the fallback engine, without atheris

Every input is a would-be spec file (bytes). It is decoded, loaded, built, walked, checked as
``cnncalc check`` does (lint, ``expect:``, budgets) and rendered (text, JSON, CSV, Markdown,
--explain, and the terminal table for one input in eight), in-process. The only acceptable
failure is a :class:`cnncalc.SpecError` whose every diagnostic carries ``file:line:col``;
anything else — another exception, an error or finding without a location, an inconsistent
report (column sums that differ from the totals, an input shape that is not its producer's
output), or an input slower than ``--timeout`` seconds — is a finding. Findings are written to
``--crashes`` (default ``benchmarks/fuzz-findings/``); fix each and add it to
tests/test_hostile.py.

Limits are scaled down (:func:`fuzz_limits`), so that an input that legitimately does a lot of work
within the limits stays fast, and a slow input means work that the limits do not bound.

Engines: ``atheris`` (coverage-guided, libFuzzer; ``pip install atheris``) when importable,
otherwise ``random``: a mutation loop over the same seeds (byte flips, YAML token insertions,
deletions, duplications and splices between seeds), without coverage feedback.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PATH = "fuzz.yaml"
TOKENS = [b"input: ", b"layers:", b"blocks:", b"defaults:", b"batch: ", b"name: ", b"\n  - ",
          b"\n    ", b"- ", b"conv: ", b"conv_transpose: ", b"maxpool: ", b"avgpool: ", b"repeat: ",
          b"concat: ", b"add: ", b"crop: ", b"upsample: ", b"adaptive_avgpool: ", b"linear: ",
          b"flatten", b"relu", b"batchnorm", b"identity", b"inputs: ", b"like: ", b"params: ",
          b"out: ", b"kernel: ", b"stride: ", b"padding: ", b"dilation: ", b"groups: ",
          b"output_padding: ", b"ceil_mode: ", b"scale: ", b"size: ", b"output: ", b"same",
          b"same_tf", b"valid", b"full", b"caffe", b"true", b"false", b"null", b"{", b"}", b"[",
          b"]", b", ", b": ", b"[]", b"{}", b"&a ", b"*a", b"<<: ", b"!!python/object ", b"!x ",
          b"---\n", b"$c", b"$c * 2", b"${c}", b"$(c - 1) // 2", b"0", b"1", b"2", b"3", b"7",
          b"-1", b"1.5", b".nan", b".inf", b"4294967297", b"9223372036854775808", b"1e999",
          b"0b101", b"0x1F", b"1_000", b"'", b'"', b"#", b"\t", b"\xef\xbb\xbf", b"\xff"]


def fuzz_limits() -> object:
    from cnncalc.model.limits import Limits

    # A hundredth of the defaults: the largest spec these allow takes about 0.1 s, ~1 s under
    # atheris' instrumentation, well inside --timeout (at 20,000 layers a legitimate residual
    # stack timed out under instrumentation: the work was linear, the limit too generous).
    return Limits(max_layers=2_500, max_repeat=2_500, max_values=20_000, max_expansions=10_000)


class Finding(Exception):
    """An input that cnncalc did not handle as it must."""


def check_report(report: object) -> None:
    """The report's internal consistency (the property test's invariants)."""
    from cnncalc.analysis.report import Report

    assert isinstance(report, Report)
    data = report.to_dict()
    layers = data["layers"]
    for key in ("params", "trainable_params", "non_trainable", "weights", "bias", "buffers",
                "macs", "flops"):
        if data["totals"][key] != sum(layer[key] for layer in layers):
            raise Finding(f"totals[{key}] is not the sum of its column")
    produced = {"input": data["input_shape"]}
    for layer in layers:
        if [produced.get(src) for src in layer["inputs"]] != layer["input_shapes"]:
            raise Finding(f"layer {layer['name']}: input shapes are not its producers' outputs")
        produced[layer["name"]] = layer["output_shape"]


def one_input(data: bytes) -> None:
    """Run one would-be spec through everything `summary` does; raise on a finding."""
    from cnncalc.analysis.walk import explain
    from cnncalc.api import decode_text, parse
    from cnncalc.checks.expectations import run_checks
    from cnncalc.model.errors import SpecError
    from cnncalc.render.rows import View
    from cnncalc.render.structured import render_csv, render_json, render_markdown
    from cnncalc.render.text import render_summary

    try:
        text = decode_text(data, PATH)
        network = parse(text, PATH, fuzz_limits())  # type: ignore[arg-type]
        report = network.summary()
        findings, _ = run_checks(network.graph, report)  # what `cnncalc check` adds: lint, ...
        for finding in findings:
            if finding.mark is None:
                raise Finding(f"a finding without file:line:col: {finding.headline()}")
        view = View(explanations=explain(network.graph, report))
        render_summary(report, 100, view)
        render_json(report, view.explanations)
        render_csv(report)
        render_markdown(report, view)
        if data and data[-1] % 8 == 0:  # the terminal table too, for one input in eight
            render_rich(report, view)
    except SpecError as exc:
        for diag in exc.diagnostics:
            if diag.mark is None or diag.mark.path != PATH:
                raise Finding(f"an error without file:line:col: {diag.headline()}") from None
        return
    check_report(report)


def render_rich(report: object, view: object) -> None:
    import io

    from rich.console import Console

    from cnncalc.render.rich_table import render_summary

    console = Console(file=io.StringIO(), force_terminal=True, width=100, color_system="standard")
    console.print(render_summary(report, 100, view))  # type: ignore[arg-type]


def seeds() -> list[bytes]:
    out = [p.read_bytes() for p in sorted((ROOT / "specs").glob("*.yaml"))]
    out += [b"input: [3, 32, 32]\nlayers:\n  - conv: {out: 8, kernel: 3, padding: 1}\n  - relu\n",
            b"input: [3, 16, 16]\nblocks:\n  b: {params: {c: 4}, layers: [add: [[], [conv: "
            b"{out: $c, kernel: 3, padding: 1}]]]}\nlayers:\n  - repeat: 3\n    layers: [b]\n",
            b"input: [1, 64]\nlayers:\n  - conv: {out: 4, kernel: 3, name: enc}\n  - maxpool: "
            b"{kernel: 2}\n  - upsample: {scale: 2}\n  - crop: {like: enc, inputs: [enc]}\n"
            b"  - concat: {inputs: [crop1, upsample1]}\n"]
    return out


# --- the atheris engine ------------------------------------------------------------------------

def run_atheris(seconds: int, timeout: int, corpus: Path, crashes: Path) -> int:
    import atheris

    with atheris.instrument_imports(include=["cnncalc"]):
        import cnncalc.analysis.walk
        import cnncalc.api
        import cnncalc.layers
        import cnncalc.render.structured
        import cnncalc.render.text
        import cnncalc.spec.build
        import cnncalc.spec.yaml_loader  # noqa: F401

    corpus.mkdir(parents=True, exist_ok=True)
    for seed in seeds():
        (corpus / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    tokens = corpus.parent / "yaml.dict"
    tokens.write_text("".join(f'"{_dict_escape(t)}"\n' for t in TOKENS))
    crashes.mkdir(parents=True, exist_ok=True)
    argv = [sys.argv[0], str(corpus), f"-max_total_time={seconds}", f"-timeout={timeout}",
            "-rss_limit_mb=2048", f"-dict={tokens}", f"-artifact_prefix={crashes}/",
            "-max_len=2048", "-print_final_stats=1"]
    atheris.Setup(argv, one_input)
    atheris.Fuzz()
    return 0


def _dict_escape(token: bytes) -> str:
    return "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\x{b:02x}"
                   for b in token)


# --- the fallback engine -----------------------------------------------------------------------

def mutate(data: bytes, pool: list[bytes], rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        how = rng.randrange(6)
        i = rng.randint(0, len(buf))
        if how == 0 and buf:
            buf[min(i, len(buf) - 1)] ^= 1 << rng.randrange(8)
        elif how == 1:
            buf[i:i] = rng.choice(TOKENS)
        elif how == 2:
            del buf[i:i + rng.randint(1, 16)]
        elif how == 3:
            j = rng.randint(0, len(buf))
            buf[i:i] = buf[j:j + rng.randint(1, 64)]
        elif how == 4:
            other = rng.choice(pool)
            j = rng.randint(0, len(other))
            buf[i:] = other[j:j + rng.randint(1, 256)]
        else:
            buf[i:i] = str(rng.choice([0, 1, 2, 3, 10, 10**6, 2**32, 2**40, 2**63, -1])).encode()
    return bytes(buf[:4096])


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Timeout


def run_random(seconds: int, timeout: int, crashes: Path, seed: int) -> int:
    rng = random.Random(seed)
    pool = seeds()
    interesting = list(pool)
    deadline = time.monotonic() + seconds
    runs = findings = 0
    slowest = 0.0
    signal.signal(signal.SIGALRM, _alarm)
    while time.monotonic() < deadline:
        data = mutate(rng.choice(interesting), pool, rng)
        runs += 1
        started = time.perf_counter()
        signal.alarm(timeout)
        try:
            one_input(data)
            if len(interesting) < 5000 and rng.random() < 0.02:
                interesting.append(data)  # a crude corpus: keep some valid-ish mutants
        except _Timeout:
            findings += _save(crashes, "timeout", data, f"slower than {timeout} s")
        except Exception as exc:
            findings += _save(crashes, "crash", data, f"{type(exc).__name__}: {exc}")
        finally:
            signal.alarm(0)
        slowest = max(slowest, time.perf_counter() - started)
    print(f"random engine: {runs:,} inputs in {seconds} s ({runs / seconds:,.0f}/s), "
          f"slowest {slowest * 1000:.0f} ms, {findings} finding(s) in {crashes}")
    return 1 if findings else 0


def _save(crashes: Path, kind: str, data: bytes, why: str) -> int:
    crashes.mkdir(parents=True, exist_ok=True)
    path = crashes / f"{kind}-{hashlib.sha1(data).hexdigest()[:16]}"
    if not path.exists():
        path.write_bytes(data)
        print(f"finding: {why[:200]} -> {path}", file=sys.stderr)
    return 1


def reproduce(paths: list[str]) -> int:
    """Run saved findings again (after a fix they should all pass)."""
    failed = 0
    for name in paths:
        try:
            one_input(Path(name).read_bytes())
            print(f"ok      {name}")
        except Exception as exc:
            failed += 1
            print(f"FAILS   {name}: {type(exc).__name__}: {exc}"[:300])
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="total fuzzing time")
    parser.add_argument("--timeout", type=int, default=5, help="seconds one input may take")
    parser.add_argument("--engine", choices=("auto", "atheris", "random"), default="auto")
    parser.add_argument("--corpus", type=Path, help="atheris corpus folder (default: a temp dir)")
    parser.add_argument("--crashes", type=Path, default=ROOT / "benchmarks" / "fuzz-findings")
    parser.add_argument("--seed", type=int, default=0, help="random engine seed")
    parser.add_argument("--reproduce", nargs="+", metavar="FILE",
                        help="run saved findings instead of fuzzing")
    args = parser.parse_args(argv)
    if args.reproduce:
        return reproduce(args.reproduce)
    engine = args.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401

            engine = "atheris"
        except ImportError:
            print("atheris is not installed (pip install atheris): using the random mutation "
                  "engine, without coverage feedback", file=sys.stderr)
            engine = "random"
    if engine == "atheris":
        corpus = args.corpus or Path(tempfile.mkdtemp(prefix="cnncalc-fuzz-")) / "corpus"
        return run_atheris(args.seconds, args.timeout, corpus, args.crashes)
    return run_random(args.seconds, args.timeout, args.crashes, args.seed)



if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
