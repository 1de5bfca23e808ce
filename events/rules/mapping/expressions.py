"""Compiled JMESPath expressions and templates, cached by their text."""

import re
from collections.abc import Callable
from fnmatch import translate
from functools import lru_cache
from typing import Any

import jmespath
from jmespath.parser import ParsedResult
from jmespath.visitor import TreeInterpreter

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_GLOB_CHARACTERS = frozenset("*?[")
_DOTTED_NAMES = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_INTERPRETER = TreeInterpreter()

Searcher = Callable[[Any], Any]


@lru_cache(maxsize=4096)
def expression_compile(expression: str) -> ParsedResult:
    """Raises jmespath.exceptions.JMESPathError (ParseError, LexerError) for an invalid expression."""
    return jmespath.compile(expression)


def _names_getter(names: tuple[str, ...]) -> Searcher:
    def get(data: Any) -> Any:
        for name in names:
            if not isinstance(data, dict):
                return None
            data = data.get(name)
        return data

    return get


def _projection_getter(tree: dict) -> Searcher | None:
    """``name[].{key: field, ...}`` (picking fields of each element of a list) without the interpreter."""
    if tree["type"] != "projection":
        return None
    source, selection = tree["children"]
    if source["type"] != "flatten" or source["children"][0]["type"] != "field":
        return None
    if selection["type"] != "multi_select_dict":
        return None
    if any(pair["children"][0]["type"] != "field" for pair in selection["children"]):
        return None
    name = source["children"][0]["value"]
    pairs = tuple((pair["value"], pair["children"][0]["value"]) for pair in selection["children"])

    def project(data: Any) -> Any:
        base = data.get(name) if isinstance(data, dict) else None
        if not isinstance(base, list):
            return None
        flat: list = []
        for element in base:
            if isinstance(element, list):
                flat.extend(element)
            else:
                flat.append(element)
        return [
            {key: element.get(field) if isinstance(element, dict) else None for key, field in pairs}
            for element in flat
            if element is not None
        ]

    return project


@lru_cache(maxsize=4096)
def searcher_compile(expression: str) -> Searcher:
    """A function evaluating the expression on some data, as JMESPath would.

    Plain dotted names (``transaction.store_location``) and field picks over a list
    (``coupons[].{id: account_id}``), most paths in practice, are read with dictionary lookups;
    anything else goes through the JMESPath interpreter.
    """
    parsed = expression_compile(expression)
    if _DOTTED_NAMES.fullmatch(expression):
        return _names_getter(tuple(expression.split(".")))
    tree = parsed.parsed
    return _projection_getter(tree) or (lambda data: _INTERPRETER.visit(tree, data))


@lru_cache(maxsize=1024)
def template_compile(template: str) -> tuple[tuple[str, Searcher | None], ...]:
    """Split a template into (literal text, None) and (placeholder, searcher) parts."""
    parts: list[tuple[str, Searcher | None]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > position:
            parts.append((template[position : match.start()], None))
        parts.append((match.group(1), searcher_compile(match.group(1).strip())))
        position = match.end()
    if position < len(template):
        parts.append((template[position:], None))
    return tuple(parts)


@lru_cache(maxsize=1024)
def _glob_pattern(pattern: str) -> re.Pattern:
    return re.compile(translate(pattern))


@lru_cache(maxsize=8192)
def event_type_matches(pattern: str, event_type: str) -> bool:
    if _GLOB_CHARACTERS.isdisjoint(pattern):
        return pattern == event_type
    return _glob_pattern(pattern).match(event_type) is not None


def is_truthy(value: object) -> bool:
    """JMESPath truthiness: false, null and empty strings, lists and objects are false; 0 is true."""
    if value is None or value is False:
        return False
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True
