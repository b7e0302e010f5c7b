"""YAML text → :class:`~cnncalc.spec.tree.Item` tree, keeping line and column of every value.

The composer is our own, fed by PyYAML's safe event parser (libyaml's when available): it builds
only plain data (str, int, float, bool, null, lists, mappings), never a Python object, and refuses
any other tag. Being iterative, it also bounds what a hostile file can cost:

* nesting deeper than ``max_depth``,
* a document that expands (through aliases) to more than ``max_values`` values
  ("billion laughs"), or an alias that refers to its own enclosing node,
* duplicate keys and multiple documents

are reported as errors at the place they occur, never as a traceback or a hang.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from sys import intern
from typing import Any

import yaml
from yaml import events as ev

from cnncalc.model.errors import Mark, SpecError
from cnncalc.model.gcpause import paused_gc
from cnncalc.model.limits import DEFAULT_LIMITS, INT64_MAX, Limits
from cnncalc.spec.tree import Item
from cnncalc.spec.yaml_errors import syntax_error

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()

_YAML12_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+\Z")
"""A YAML 1.2 float with an exponent that YAML 1.1 reads as a string (``1e-5``, ``5E3``)."""

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP_TAGS = (None, "!", "tag:yaml.org,2002:map")
_SEQ_TAGS = (None, "!", "tag:yaml.org,2002:seq")
_MERGE = "<<"


class _Frame:
    __slots__ = ("anchor", "is_map", "item", "key", "key_mark", "key_marks", "merges")

    def __init__(self, item: Item, is_map: bool, anchor: str | None) -> None:
        self.item = item
        self.key: str | None = None
        self.key_mark: Mark | None = None
        self.key_marks: dict[str, Mark] = {}
        if is_map:
            item.key_marks = self.key_marks
        self.is_map = is_map
        self.anchor = anchor
        self.merges: list[tuple[Item, Mark | None]] = []


def _mark(path: str, m: Any) -> Mark:
    return Mark(path, m.line + 1, m.column + 1)


def parse_yaml(text: str, path: str = "<string>", limits: Limits = DEFAULT_LIMITS) -> Item:
    """Parse one YAML document into an Item tree; raise SpecError with a location on any
    problem."""
    try:
        with paused_gc():
            try:
                return _compose(text, path, limits, _Loader)
            except yaml.MarkedYAMLError as exc:
                if not _parser_depth_limit(exc):
                    raise
                # libyaml (PyYAML >= 6.0.2's C parser) refuses deep nesting itself, reading
                # ahead of the events it has given us, so cnncalc's own max_depth check never
                # saw the level that broke it. The pure-Python parser has no such limit: read
                # the file again with it, and the check below reports the first level too deep,
                # in cnncalc's words, whichever PyYAML is installed.
                return _compose(text, path, limits, yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        if _parser_depth_limit(exc):  # a parser whose limit is below max_depth
            mark = exc.problem_mark or exc.context_mark
            raise SpecError(f"the document is nested more than {limits.max_depth} levels deep "
                            f"(limit max_depth)",
                            _mark(path, mark) if mark else Mark(path, 1, 1), code="limit") from None
        raise syntax_error(exc, text, path, _Loader) from None
    except yaml.reader.ReaderError as exc:
        line, col = _position(text, exc.position)
        char = exc.character
        shown = f"#x{char:04x}" if isinstance(char, int) else repr(char)
        raise SpecError(f"the file contains a character YAML does not allow ({shown}); is it a "
                        f"text file?", Mark(path, line, col), code="yaml") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML error: {exc}", Mark(path, 1, 1), code="yaml") from None
    except RecursionError:
        raise SpecError("the document is nested too deeply", Mark(path, 1, 1),
                        code="limit") from None


def _parser_depth_limit(exc: yaml.MarkedYAMLError) -> bool:
    """Whether the YAML parser stopped at its own nesting limit, not at a syntax error."""
    return "nesting depth" in (exc.problem or "")


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    line = before.count("\n") + 1
    return line, offset - (before.rfind("\n") + 1) + 1


def _scalar(event: ev.ScalarEvent, path: str) -> Any:
    tag = event.tag
    if tag in (None, "!"):
        tag = _RESOLVER.resolve(yaml.ScalarNode, event.value,  # type: ignore[no-untyped-call]
                                event.implicit)
        if tag == _STR and event.implicit[0] and _YAML12_FLOAT.match(event.value):
            # YAML 1.1 (PyYAML) reads 1e-5 as a string: it wants a dot and a signed exponent.
            # Editors and YAML 1.2 read a number, and so does cnncalc.
            tag = _FLOAT
    if tag in (_STR, _TIMESTAMP):
        text: str = event.value
        return intern(text) if len(text) <= 64 else text  # "relu" ten thousand times: once
    node = yaml.ScalarNode(tag, event.value)
    try:
        if tag == _INT:
            value = None if len(event.value) > 80 else _CONSTRUCTOR.construct_yaml_int(node)
            if value is None or abs(value) > INT64_MAX:
                raise SpecError(f"the integer {_clip(event.value)} is too large (at most "
                                f"{INT64_MAX:,}, the largest size PyTorch can hold)",
                                _mark(path, event.start_mark), code="yaml")
            return value
        if tag == _FLOAT:
            return _CONSTRUCTOR.construct_yaml_float(node)
        if tag == _BOOL:
            return _CONSTRUCTOR.construct_yaml_bool(node)
        if tag == _NULL:
            return None
    except (ValueError, OverflowError) as exc:
        raise SpecError(f"cannot read {_clip(event.value)} as a number: {exc}",
                        _mark(path, event.start_mark), code="yaml") from None
    raise SpecError(f"unsupported YAML tag {tag!r}: spec files hold plain data only (strings, "
                    f"numbers, booleans, lists and mappings)", _mark(path, event.start_mark),
                    code="yaml-tag")


def _clip(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


def _compose(text: str, path: str, limits: Limits, loader: Any) -> Item:
    """The event loop. Written for speed (a spec may hold a million values): one type test per
    event, the common scalars (plain words and decimal integers) resolved without PyYAML's
    resolver, and no function call per value beyond making its Item and Mark."""
    stack: list[_Frame] = []
    anchors: dict[str, Item] = {}
    open_anchors: set[str] = set()
    root: Item | None = None
    documents = 0
    total = 0  # values so far, aliases counted in full: bounds memory as the file is read
    max_values = limits.max_values
    top: _Frame | None = None  # stack[-1]

    def too_many(mark: Mark) -> SpecError:
        return SpecError(f"the document expands to more than {max_values:,} values "
                         f"(YAML aliases repeating large nodes, or a very large file?); "
                         f"limit max_values, raise it with --limit max_values=N", mark,
                         code="limit")

    def attach(item: Item, mark: Mark) -> None:
        nonlocal root
        if top is None:
            root = item
            return
        if top.is_map:
            key = top.key
            assert key is not None
            top.key = None
            mapping = top.item.value
            if key == _MERGE:
                top.merges.append((item, mark))
                return
            if key in mapping:
                first = top.key_marks[key]
                raise SpecError(f"duplicate key '{key}' (first at line {first.line})",
                                top.key_mark, code="duplicate-key")
            mapping[key] = item
            assert top.key_mark is not None
            top.key_marks[key] = top.key_mark
        else:
            top.item.value.append(item)

    events: Iterator[Any] = yaml.parse(text, Loader=loader)
    for event in events:
        kind = type(event)
        if kind is ev.ScalarEvent:
            start = event.start_mark
            mark = Mark(path, start.line + 1, start.column + 1)
            if top is not None and top.is_map and top.key is None:
                top.key, top.key_mark = intern(event.value), mark
                continue
            total += 1
            if total > max_values:
                raise too_many(mark)
            item = Item(_plain(event, path), mark)
            if event.anchor:
                anchors[event.anchor] = item
            if top is not None and not top.is_map:
                top.item.value.append(item)
            else:
                attach(item, mark)
            continue
        if kind is ev.MappingStartEvent or kind is ev.SequenceStartEvent:
            start = event.start_mark
            mark = Mark(path, start.line + 1, start.column + 1)
            if top is not None and top.is_map and top.key is None:
                raise SpecError("a mapping key must be a plain name, not a list or mapping",
                                mark, code="yaml")
            is_map = kind is ev.MappingStartEvent
            if event.tag not in (_MAP_TAGS if is_map else _SEQ_TAGS):
                raise SpecError(f"unsupported YAML tag {event.tag!r}: spec files hold plain data "
                                f"only", mark, code="yaml-tag")
            if len(stack) >= limits.max_depth:
                raise SpecError(f"the document is nested more than {limits.max_depth} levels "
                                f"deep (limit max_depth)", mark, code="limit")
            total += 1
            if total > max_values:
                raise too_many(mark)
            item = Item({} if is_map else [], mark)
            if event.anchor:
                anchors[event.anchor] = item
                open_anchors.add(event.anchor)
            top = _Frame(item, is_map, event.anchor)
            stack.append(top)
            continue
        if kind is ev.MappingEndEvent or kind is ev.SequenceEndEvent:
            frame = stack.pop()
            top = stack[-1] if stack else None
            item = frame.item
            if frame.merges:
                _apply_merges(item, frame.merges)
            children = item.value.values() if frame.is_map else item.value
            item.size = 1 + sum(c.size for c in children)
            if frame.anchor:
                open_anchors.discard(frame.anchor)
            assert item.mark is not None
            attach(item, item.mark)
            continue
        if kind is ev.AliasEvent:
            start = event.start_mark
            mark = Mark(path, start.line + 1, start.column + 1)
            if event.anchor in open_anchors:
                raise SpecError(f"alias *{event.anchor} refers to a node that contains it "
                                f"(a recursive structure)", mark, code="limit")
            target = anchors.get(event.anchor)
            if target is None:
                raise SpecError(f"unknown alias *{event.anchor}", mark, code="yaml")
            if top is not None and top.is_map and top.key is None:
                if not target.is_scalar:
                    raise SpecError("a mapping key must be a plain name, not a list or mapping",
                                    mark, code="yaml")
                top.key, top.key_mark = str(target.value), mark
                continue
            total += target.size
            if total > max_values:
                raise too_many(mark)
            attach(target, mark)
            continue
        if kind is ev.DocumentStartEvent:
            documents += 1
            if documents > 1:
                start = event.start_mark
                raise SpecError("the file holds more than one YAML document (a second '---'); "
                                "a spec is one document",
                                Mark(path, start.line + 1, start.column + 1), code="yaml")
    if root is None:
        raise SpecError("the file is empty; a spec needs at least 'input' and 'layers'",
                        Mark(path, 1, 1), code="empty")
    return root


def _plain(event: ev.ScalarEvent, path: str) -> Any:
    """A scalar's value; the common cases without the resolver: a plain word that YAML 1.1
    reads as a string (``relu``, ``same``) and a plain decimal integer (``64``)."""
    text: str = event.value
    if event.implicit[0] and event.tag is None and 0 < len(text) <= 18 and text.isascii():
        if text.isdigit():
            if text[0] != "0" or len(text) == 1:  # 0-prefixed: octal in YAML 1.1
                return int(text)
        elif text.isalpha() and text.lower() not in _WORDS:
            return intern(text)
    return _scalar(event, path)


_WORDS = frozenset(("true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf"))
"""Words the YAML 1.1 resolver reads as something other than a string (spelt in any case;
``_plain`` leaves them, and anything else unusual, to the resolver)."""


def _apply_merges(item: Item, merges: list[tuple[Item, Mark | None]]) -> None:
    """YAML merge keys (``<<: *defaults``): keys given explicitly win over merged ones."""
    mapping = item.value
    for source, mark in merges:
        sources = source.value if source.is_list else [source]
        for src in sources:
            if not src.is_map:
                raise SpecError("a merge key '<<' needs a mapping (or a list of mappings)", mark,
                                code="yaml")
            for key, value in src.value.items():
                if key not in mapping:
                    mapping[key] = value
                    key_mark = src.key_mark(key) or mark or item.mark
                    if key_mark is not None and item.key_marks is not None:
                        item.key_marks[key] = key_mark
