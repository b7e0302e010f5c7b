"""Reading a spec: file (or standard input) → text, with located errors for anything that is not
a spec's text.

* A file over the ``max_file_bytes`` limit is refused before a byte of it is read (docs/limits.md).
* The encoding is recognised as YAML 1.2 §5.2 says: a byte-order mark, or the pattern of zero
  bytes at the start, tells UTF-8, UTF-16 (PowerShell's ``>`` writes UTF-16 LE) and UTF-32 apart;
  anything else is read as UTF-8.
* Text that is not valid in its encoding is refused with the place of the first bad byte, and a
  hint that tells a binary file (it has zero bytes) from text saved in a legacy encoding.
* Directories, missing files, symbolic-link loops and special files (a named pipe that nothing
  writes to) each get their own sentence, and never block.

``-`` names standard input, shown as ``<stdin>`` in messages.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
import sys
from typing import BinaryIO

from cnncalc.model.errors import Mark, SpecError
from cnncalc.model.limits import DEFAULT_LIMITS, Limits

STDIN = "-"
"""The spec argument that means standard input."""
STDIN_SHOWN = "<stdin>"
"""How standard input is named in messages (``<stdin>:3:5: error: ...``)."""

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
"""Byte-order marks, longest first (UTF-32 LE's starts with UTF-16 LE's)."""

_SHOWN_ENCODING = {"utf-8": "UTF-8", "utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE",
                   "utf-32-le": "UTF-32 LE", "utf-32-be": "UTF-32 BE"}


def shown_name(spec: str) -> str:
    """The name a spec argument goes by in messages."""
    return STDIN_SHOWN if spec == STDIN else spec


def read_spec_file(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> str:
    """Read a spec file (or ``-``, standard input) as text, with a located error for anything
    that is not one: a missing file, a directory, a link loop, a file over ``max_file_bytes``,
    bytes that are not text."""
    spec = os.fspath(path)
    if spec == STDIN:
        return decode_text(read_limited(sys.stdin.buffer, STDIN_SHOWN, limits), STDIN_SHOWN)
    data = _read_file(spec, limits)
    return decode_text(data, spec)


def problem_with_path(spec: str) -> str | None:
    """Why ``spec`` cannot be read as a spec file, in words, or None when it looks readable.
    Every command words these the same way (``check`` asks before reading a folder's files)."""
    try:
        return _mode_problem(spec, os.stat(spec).st_mode)
    except OSError as exc:
        return _os_problem(spec, exc)
    except ValueError:  # a NUL byte in the name
        return f"cannot read {spec!r}: the name contains a NUL character"


def _mode_problem(spec: str, mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return f"{spec} is a directory, not a spec file"
    what = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "not a regular file")
    return f"{spec} is {what}, not a spec file (use '-' to read a spec from standard input)"


def _os_problem(spec: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return f"cannot read {spec}: a symbolic link in its path points back to itself (a loop)"
    if exc.errno == errno.ENOENT:
        if os.path.islink(spec):
            return f"cannot read {spec}: it is a symbolic link to a missing file"
        return f"no such file: {spec}"
    if exc.errno == errno.ENOTDIR:
        return f"no such file: {spec} (a part of the path is a file, not a directory)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"cannot read {spec}: permission denied"
    if exc.errno == errno.ENAMETOOLONG:
        return f"cannot read {spec[:60]}…: the name is too long"
    return f"cannot read {spec}: {exc.strerror or exc}"


def _read_file(spec: str, limits: Limits) -> bytes:
    """The file's bytes. It is opened without blocking and checked through its descriptor, so a
    named pipe with no writer, or a file swapped for one after a check, cannot make this hang;
    its size is checked before anything is read."""
    at = Mark(spec, 1, 1)
    problem = problem_with_path(spec)  # a socket cannot even be opened: say what it is
    if problem is not None:
        raise SpecError(problem, at, code="io")
    try:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(spec, flags)
    except OSError as exc:
        raise SpecError(_os_problem(spec, exc), at, code="io") from None
    except ValueError:
        raise SpecError(f"cannot read {spec!r}: the name contains a NUL character", at,
                        code="io") from None
    try:
        info = os.fstat(fd)
        problem = _mode_problem(spec, info.st_mode)
        if problem is not None:
            raise SpecError(problem, at, code="io")
        if info.st_size > limits.max_file_bytes:
            raise SpecError(_too_big(spec, info.st_size, limits), at, code="limit")
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as fh:
        try:
            return read_limited(fh, spec, limits)
        except OSError as exc:
            raise SpecError(_os_problem(spec, exc), at, code="io") from None


def _too_big(spec: str, size: int, limits: Limits) -> str:
    return (f"{spec} is {size:,} bytes, over the limit of {limits.max_file_bytes:,} "
            f"(max_file_bytes; raise it with --limit max_file_bytes=N); spec files are a few "
            f"kilobytes")


def read_limited(stream: BinaryIO, shown: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Read at most ``max_file_bytes`` from a stream whose size is not known in advance
    (standard input, a file that grows while it is read)."""
    data = stream.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:
        raise SpecError(f"{shown} holds more than {limits.max_file_bytes:,} bytes "
                        f"(max_file_bytes; raise it with --limit max_file_bytes=N)",
                        Mark(shown, 1, 1), code="limit")
    return data


def detect_encoding(data: bytes) -> tuple[str, int]:
    """The encoding of a YAML stream and the length of its byte-order mark (YAML 1.2 §5.2):
    a mark, else the zero bytes around the first character (YAML text starts with an ASCII
    character), else UTF-8."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    head = data[:4]
    if len(head) == 4 and head[:3] == b"\0\0\0" and head[3]:
        return "utf-32-be", 0
    if len(head) == 4 and head[0] and head[1:] == b"\0\0\0":
        return "utf-32-le", 0
    if len(head) >= 2 and not head[0] and head[1]:
        return "utf-16-be", 0
    if len(head) >= 2 and head[0] and not head[1]:
        return "utf-16-le", 0
    return "utf-8", 0


def decode_text(data: bytes, shown: str) -> str:
    """Bytes → text in the encoding :func:`detect_encoding` finds; a located error for bytes
    that are not text in it."""
    encoding, skip = detect_encoding(data)
    try:
        return data[skip:].decode(encoding)
    except UnicodeDecodeError as exc:
        start = skip + exc.start
        prefix = data[skip:start].decode(encoding, errors="replace")
        line = prefix.count("\n") + 1
        col = len(prefix) - (prefix.rfind("\n") + 1) + 1
        bad = data[start]
        if encoding != "utf-8":
            message = (f"the file is {_SHOWN_ENCODING[encoding]} text (so its first bytes say) "
                       f"but is not valid {_SHOWN_ENCODING[encoding]} at byte {start:,}")
        elif b"\0" in data:
            message = (f"the file is not text (it has zero bytes, and byte 0x{bad:02x} is not "
                       f"UTF-8); is it a binary file?")
        else:
            message = (f"the file is not UTF-8 text (byte 0x{bad:02x}); save it as UTF-8 (it "
                       f"may be in a legacy encoding such as Latin-1 or Windows-1252)")
        raise SpecError(message, Mark(shown, line, col), code="encoding") from None
