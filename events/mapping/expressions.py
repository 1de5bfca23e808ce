"""Compiled JMESPath expressions and templates, cached by their text."""

import re
from fnmatch import translate
from functools import lru_cache

import jmespath
from jmespath.parser import ParsedResult

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_GLOB_CHARACTERS = frozenset("*?[")


@lru_cache(maxsize=4096)
def expression_compile(expression: str) -> ParsedResult:
    """Raises jmespath.exceptions.JMESPathError (ParseError, LexerError) for an invalid expression."""
    return jmespath.compile(expression)


@lru_cache(maxsize=1024)
def template_compile(template: str) -> tuple[tuple[str, ParsedResult | None], ...]:
    """Split a template into (literal text, None) and (placeholder, compiled expression) parts."""
    parts: list[tuple[str, ParsedResult | None]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > position:
            parts.append((template[position : match.start()], None))
        parts.append((match.group(1), expression_compile(match.group(1).strip())))
        position = match.end()
    if position < len(template):
        parts.append((template[position:], None))
    return tuple(parts)


@lru_cache(maxsize=1024)
def _glob_pattern(pattern: str) -> re.Pattern:
    return re.compile(translate(pattern))


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
