"""YAML syntax errors located at the mistake, not where the parser gave up.

A YAML parser stops where the text can no longer be read, which is often lines after the mistake:
an unclosed ``{`` is reported at the end of the file, a missing ``:`` on the next line, an
unclosed quote where the next quote happens to be. This module looks at the text around the
parser's stop (its tokens, the brackets, the indentation) and names the mistake where it is:

* a tab — "a tab here: YAML indents with spaces only";
* a bracket or quote that is never closed — at the bracket or quote that opened it;
* a closing bracket that closes nothing, or the wrong bracket;
* a missing ``:`` — on the line that lacks it; a missing ``,`` in a flow list or mapping;
* a line indented to match nothing above it — with the lines it falls between;
* characters YAML reserves (``@``, `````, ``%`` at the start of a line, ``&``, ``!``).

The messages are the same whichever PyYAML parser (libyaml's or the pure-Python one) reported the
error; what is not recognised keeps the parser's own words, at its own place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml import tokens as tk

from cnncalc.model.errors import Mark, SpecError

_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
"""Line breaks as YAML counts them (marks count lines this way)."""
_OPENERS = {tk.FlowSequenceStartToken: "[", tk.FlowMappingStartToken: "{"}
_CLOSERS = {tk.FlowSequenceEndToken: "]", tk.FlowMappingEndToken: "}"}
_PAIR = {"[": "]", "{": "}"}
_WHAT = {"[": "list", "{": "mapping"}
_STRUCTURE = re.compile(r"\s*(-(\s|$)|[^\s#'\"][^#]*?:(\s|$))")
"""A line that looks like a YAML list item or ``key:`` (text an unclosed quote swallowed)."""


@dataclass(frozen=True, slots=True)
class _Pos:
    """A 0-based position in the text (line, column, offset), as PyYAML's marks give them."""

    line: int
    column: int
    index: int

    @classmethod
    def of(cls, mark: Any) -> _Pos:
        return cls(mark.line, mark.column, mark.index)


class _Text:
    """The document's lines, and the marks cnncalc reports (1-based line and column)."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.lines = _BREAKS.split(text)

    def line(self, number: int) -> str:
        """The 0-based line ``number``, or '' past the end."""
        return self.lines[number] if 0 <= number < len(self.lines) else ""

    def mark(self, line: int, column: int) -> Mark:
        return Mark(self.path, line + 1, column + 1)

    def char(self, pos: _Pos | None) -> str:
        if pos is None:
            return ""
        text = self.line(pos.line)
        return text[pos.column] if 0 <= pos.column < len(text) else ""

    def last_content(self) -> int:
        """The last line with something other than spaces and comments on it."""
        for number in range(len(self.lines) - 1, -1, -1):
            if _content(self.lines[number]):
                return number
        return 0


def _content(line: str) -> str:
    """A line without its comment and surrounding blanks (a rough cut: ``#`` after a blank)."""
    stripped = line.strip()
    if stripped.startswith("#"):
        return ""
    cut = re.search(r"\s#", line)
    return (line[:cut.start()] if cut else line).strip()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def syntax_error(exc: yaml.MarkedYAMLError, text: str, path: str, loader: Any) -> SpecError:
    """The SpecError for a YAML syntax error, located at the mistake."""
    doc = _Text(text, path)
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    pm = _Pos.of(exc.problem_mark) if exc.problem_mark is not None else None
    cm = _Pos.of(exc.context_mark) if exc.context_mark is not None else None
    found = _diagnose(doc, problem, context, pm, cm, loader)
    if found is not None:
        message, (line, column) = found
        return SpecError(message, doc.mark(line, column), code="yaml")
    # Not recognised: the parser's words, at its place (or the context's, past the end).
    where = pm or cm
    if where is not None and where.line > doc.last_content() and cm is not None:
        where = cm
    detail = ""
    if context:
        at = (f" that starts at line {cm.line + 1}, column {cm.column + 1}"
              if cm is not None and cm != pm else "")
        detail = f" ({context}{at})"
    mark = doc.mark(where.line, where.column) if where is not None else Mark(path, 1, 1)
    return SpecError(f"YAML syntax error: {problem or 'invalid YAML'}{detail}", mark, code="yaml")


_Found = tuple[str, tuple[int, int]]


def _diagnose(doc: _Text, problem: str, context: str, pm: _Pos | None, cm: _Pos | None,
              loader: Any) -> _Found | None:
    char = doc.char(pm)
    if pm is not None and char == "\t":
        return _tab(doc, pm)
    if "cannot start any token" in problem and pm is not None:
        return _reserved(doc, pm, char)
    if context.startswith("while scanning a quoted scalar") and cm is not None:
        if "end of stream" in problem:
            which = "double" if doc.char(cm) == '"' else "single"
            return (f"the {which} quote here is never closed (add a closing "
                    f"{doc.char(cm)} where the text ends)", (cm.line, cm.column))
        if "escape" in problem and pm is not None:
            return (f"'\\{char}' is not an escape YAML knows in a double-quoted string: write "
                    f"'\\\\' for a backslash, or use single quotes", (pm.line, pm.column - 1))
    if context.startswith("while scanning a directive") and cm is not None:
        word = _content(doc.line(cm.line)).split(":")[0]
        return (f"'%' at the start of a line begins a YAML directive; put the key in quotes "
                f"('{word}')", (cm.line, cm.column))
    if context.startswith(("while scanning an anchor", "while scanning an alias")) and cm:
        sign = doc.char(cm)
        what = "an anchor (&name)" if sign == "&" else "an alias (*name)"
        return (f"'{sign}' begins {what} and needs a name after it; put the value in quotes if "
                f"'{sign}' is part of it", (cm.line, cm.column))
    if "tag handle" in problem and pm is not None:
        return ("'!' begins a YAML tag, and spec files use none; put the value in quotes if '!' "
                "is part of it", (pm.line, pm.column))
    if context.startswith("while scanning a block scalar") and cm is not None:
        return (f"'{doc.char(cm)}' begins a block of text here and must end its line; put the "
                f"value in quotes if '{doc.char(cm)}' is part of it", (cm.line, cm.column))
    tokens = _scan(doc.text, loader)
    runaway = _runaway_quote(doc, tokens, pm)
    if runaway is not None:
        return runaway
    if (context.startswith("while parsing a flow") or char in ("]", "}")
            or "',' or" in problem):
        bracket = _brackets(doc, tokens)
        if bracket is not None:
            return bracket
        if pm is not None and context.startswith("while parsing a flow"):
            return _missing_comma(doc, tokens, pm, cm)
    if "could not find expected ':'" in problem and cm is not None:
        return _missing_colon(doc, cm.line, cm.column)
    if "mapping values are not allowed" in problem and pm is not None:
        return _second_colon(doc, tokens, pm)
    if pm is not None and context.startswith(("while parsing a block", "while parsing a "
                                               "flow node")):
        return _indentation(doc, pm, cm)
    return None


# --- the kinds of mistakes ---------------------------------------------------------------------


def _tab(doc: _Text, pm: _Pos) -> _Found:
    line = doc.line(pm.line)
    if not line[:pm.column].strip(" \t"):
        return ("a tab character indents this line; YAML indents with spaces only (replace the "
                "tab with spaces)", (pm.line, pm.column))
    return ("a tab character here; YAML separates these with spaces only (replace the tab "
            "with a space)", (pm.line, pm.column))


def _reserved(doc: _Text, pm: _Pos, char: str) -> _Found | None:
    if char in ("@", "`"):
        word = _content(doc.line(pm.line)[pm.column:]).split(",")[0].rstrip("]}")
        return (f"'{char}' cannot begin a value in YAML (it is reserved); put the value in "
                f"quotes: '{word}'", (pm.line, pm.column))
    return None


def _scan(text: str, loader: Any) -> list[Any]:
    """The tokens of the text up to the first scanning error (the scanner reads further than
    the parser: it does not check structure)."""
    out: list[Any] = []
    try:
        for token in yaml.scan(text, Loader=loader):
            out.append(token)
    except yaml.YAMLError:
        pass
    return out


def _runaway_quote(doc: _Text, tokens: list[Any], pm: _Pos | None) -> _Found | None:
    """A quoted value that runs over its line into text that looks like YAML structure: its
    closing quote is missing, and YAML read on to the next quote."""
    for token in tokens:
        if not isinstance(token, tk.ScalarToken) or token.style not in ('"', "'"):
            continue
        start, end = token.start_mark, token.end_mark
        if pm is not None and start.index > pm.index:
            break
        if end.line > start.line and _STRUCTURE.match(doc.line(start.line + 1)):
            return (f"the quote here is not closed on its line: YAML reads on to line "
                    f"{end.line + 1}, where the next {doc.char(_Pos.of(start))} is (close the "
                    f"quote)", (start.line, start.column))
    return None


def _brackets(doc: _Text, tokens: list[Any]) -> _Found | None:
    """An unmatched, mismatched or unclosed ``[ ] { }``."""
    stack: list[tuple[str, Any]] = []
    for token in tokens:
        kind = type(token)
        if kind in _OPENERS:
            stack.append((_OPENERS[kind], token.start_mark))
        elif kind in _CLOSERS:
            closer = _CLOSERS[kind]
            at = (token.start_mark.line, token.start_mark.column)
            if not stack:
                return (f"this '{closer}' closes nothing: no '{'[' if closer == ']' else '{'}' "
                        f"before it is open (delete it)", at)
            opener, mark = stack.pop()
            if _PAIR[opener] != closer:
                return (f"this '{closer}' closes the '{opener}' opened at line {mark.line + 1}, "
                        f"column {mark.column + 1}: a '{_PAIR[opener]}' is missing before it",
                        at)
    if stack:
        opener, mark = stack[-1]
        return (f"this '{opener}' is never closed: add '{_PAIR[opener]}' where its "
                f"{_WHAT[opener]} ends", (mark.line, mark.column))
    return None


def _missing_comma(doc: _Text, tokens: list[Any], pm: _Pos, cm: _Pos | None) -> _Found | None:
    """Inside ``[...]`` or ``{...}``: the value before the parser's stop holds a blank where a
    ``,`` was meant (``{out: 8 kernel: 3}`` reads ``8 kernel`` as one value)."""
    last = None
    for token in tokens:
        if token.start_mark.index >= pm.index:
            break
        if isinstance(token, tk.ScalarToken):
            last = token
    if last is None or last.style or " " not in last.value.strip():
        return None
    blank = last.value.index(" ")
    line, column = last.start_mark.line, last.start_mark.column + blank
    if last.end_mark.line != line:  # the value runs over lines: the ',' is missing at a break
        column = len(doc.line(line).rstrip())
    return (f"a ',' is missing here: YAML reads '{_clip(last.value)}' as one value",
            (line, column))


def _missing_colon(doc: _Text, line: int, column: int) -> _Found:
    text = _content(doc.line(line)[column:])
    first = text.split()[0] if text.split() else text
    return (f"expected ':' after '{_clip(first)}' (a mapping entry is 'key: value'; this line "
            f"has no ':')", (line, column + len(first)))


def _second_colon(doc: _Text, tokens: list[Any], pm: _Pos) -> _Found:
    """``mapping values are not allowed here``: a ``:`` YAML cannot take as a key's."""
    before = previous_of_before = previous = None
    for token in tokens:
        if token.start_mark.index >= pm.index:
            break
        if isinstance(token, tk.ScalarToken):
            before, previous_of_before = token, previous
        previous = token
    if before is not None and before.end_mark.line > before.start_mark.line:
        start = before.start_mark
        value_on_key_line = (isinstance(previous_of_before, tk.ValueToken)
                             and previous_of_before.start_mark.line == start.line)
        if value_on_key_line:  # `out: 8` then a line indented further: one value "8 kernel"
            here = doc.line(pm.line)
            return (f"this line is indented further than line {start.line + 1}, so YAML reads it "
                    f"as more of that line's value ('{_clip(before.value)}'); keys of one "
                    f"mapping must line up", (pm.line, _indent(here)))
        text = doc.line(start.line)[start.column:]
        first = text.split()[0] if text.split() else text
        return (f"expected ':' after '{_clip(first)}' (YAML reads '{_clip(before.value)}', on "
                f"lines {start.line + 1} to {before.end_mark.line + 1}, as one key)",
                (start.line, start.column + len(first)))
    return ("a second ':' on this line: put the value in quotes if the ':' is part of it, or "
            "write the inner mapping in braces ({out: 8}) or on the next lines, indented",
            (pm.line, pm.column))


def _indentation(doc: _Text, pm: _Pos, cm: _Pos | None) -> _Found | None:
    """A line indented to match no block above it."""
    here = doc.line(pm.line)
    if pm.column != _indent(here) or pm.line == 0:
        return None
    depth = pm.column
    deeper = shallower = None
    for number in range(pm.line - 1, -1, -1):
        text = doc.line(number)
        if not _content(text):
            continue
        indent = _indent(text)
        if indent == depth:
            break
        if indent > depth and deeper is None and shallower is None:
            deeper = number
        if indent < depth:
            shallower = number
            break
    word = _content(here).split(":")[0]
    if shallower is not None and deeper is not None:
        return (f"this line is indented {_spaces(depth)}: more than line {shallower + 1} "
                f"({_indent(doc.line(shallower))}) and less than line {deeper + 1} "
                f"({_indent(doc.line(deeper))}); line it up with the one it belongs to",
                (pm.line, pm.column))
    if cm is not None and cm.line < pm.line and here.lstrip().startswith("- "):
        return (f"this '- ' item is indented {_spaces(depth)}, unlike the lines above it; items "
                f"of one list line up", (pm.line, pm.column))
    if cm is not None and cm.line < pm.line and doc.char(cm) == "-":
        return (f"'{_clip(word)}' is not a '- ' item, but is indented like the items of the "
                f"list at line {cm.line + 1}: indent it less to end the list, or more to put it "
                f"inside the item above", (pm.line, pm.column))
    return None


def _spaces(count: int) -> str:
    return "1 space" if count == 1 else f"{count} spaces"


def _clip(text: str, keep: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= keep else f"{text[:keep - 1]}…"
