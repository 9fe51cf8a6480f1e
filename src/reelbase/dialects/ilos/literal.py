"""The relaxed object syntax of the ilos document's Ruby examples, read without ``eval``.

Those examples post a body whose keys are bare words::

    {
      api_key: "{key}",
      randtag : "123456ABCDEF"
    }

which is neither JSON nor a form, but a client that copies the example means the same fields.
:func:`parse_object` reads exactly that JavaScript-object-literal / Ruby-hash form and nothing
more: keys are bare identifiers (``[A-Za-z_$][A-Za-z0-9_$]*``) or quoted strings; values are
strings in double or single quotes (with JSON's backslash escapes, plus ``\\'``), JSON numbers,
``true``, ``false``, ``nil`` / ``null`` (both None), and nested objects and arrays; a trailing
comma is allowed (the document's webhook example has one). Any other word, an unquoted value, a
comment or an expression is refused with a :class:`LiteralError` naming the line and column.

Bounded: the caller caps the text's size; nesting deeper than :data:`MAX_DEPTH` and number
literals longer than :data:`MAX_NUMBER` are refused, so no input recurses or converts without
limit. Valid JSON reads the same here as with ``json.loads``.
"""

from __future__ import annotations

import math
import re
from typing import Any

MAX_DEPTH = 32
MAX_NUMBER = 64
WORDS: dict[str, Any] = {"true": True, "false": False, "nil": None, "null": None}
IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
ESCAPES = {'"': '"', "'": "'", "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
SPACE = " \t\r\n"


class LiteralError(ValueError):
    """The text is not an object literal; ``str()`` says what was wrong and where."""

    def __init__(self, message: str, text: str, pos: int) -> None:
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        super().__init__(f"{message} at line {line}, column {column}")


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, message: str, pos: int | None = None) -> LiteralError:
        return LiteralError(message, self.text, self.pos if pos is None else pos)

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in SPACE:
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            found = self.peek()
            raise self.fail(f"expected {what}" + (f", found {found!r}" if found else ", found the end of the body"))
        self.pos += 1

    def value(self, depth: int) -> Any:
        char = self.peek()
        if not char:  # tested first: the empty string is "in" every string below
            raise self.fail("expected a value, found the end of the body")
        if char in "{[":
            if depth >= MAX_DEPTH:
                raise self.fail(f"objects and arrays nest deeper than {MAX_DEPTH} levels")
            return self.object(depth + 1) if char == "{" else self.array(depth + 1)
        if char in "\"'":
            return self.string()
        if char in "-0123456789":
            return self.number()
        word = IDENTIFIER.match(self.text, self.pos)
        if word and word.group() in WORDS:
            self.pos = word.end()
            return WORDS[word.group()]
        if word:
            raise self.fail(f"{word.group()!r} is not a value (put strings in quotes; the words allowed are "
                            "true, false, nil and null)")
        raise self.fail(f"expected a value, found {char!r}")

    def object(self, depth: int) -> dict[str, Any]:
        self.expect("{", "'{'")
        out: dict[str, Any] = {}
        while self.peek() != "}":
            key = self.key()
            self.expect(":", f"':' after the key {key!r}")
            out[key] = self.value(depth)
            if self.peek() != ",":
                break
            self.pos += 1
        self.expect("}", "',' or '}' after a value of the object")
        return out

    def array(self, depth: int) -> list[Any]:
        self.expect("[", "'['")
        out: list[Any] = []
        while self.peek() != "]":
            out.append(self.value(depth))
            if self.peek() != ",":
                break
            self.pos += 1
        self.expect("]", "',' or ']' after an item of the array")
        return out

    def key(self) -> str:
        char = self.peek()
        if char and char in "\"'":
            return self.string()
        word = IDENTIFIER.match(self.text, self.pos)
        if not word:
            raise self.fail("expected a key (a bare word such as api_key, or a quoted string)"
                            + (f", found {char!r}" if char else ", found the end of the body"))
        self.pos = word.end()
        return word.group()

    def string(self) -> str:
        quote, start = self.text[self.pos], self.pos
        self.pos += 1
        parts: list[str] = []
        while True:
            end = self.pos
            while end < len(self.text) and self.text[end] not in (quote, "\\") and self.text[end] >= " ":
                end += 1
            parts.append(self.text[self.pos:end])
            self.pos = end
            if end >= len(self.text):
                raise self.fail("a string is not closed", start)
            char = self.text[end]
            if char == quote:
                self.pos += 1
                return "".join(parts)
            if char != "\\":
                raise self.fail("a line break or control character inside a string")
            parts.append(self.escape())

    def escape(self) -> str:
        code = self.text[self.pos + 1: self.pos + 2]
        if not code:
            raise self.fail("a string is not closed")
        if code in ESCAPES:
            self.pos += 2
            return ESCAPES[code]
        if code == "u":
            unit = self.hex4(self.pos + 2)
            self.pos += 6
            if 0xD800 <= unit < 0xDC00 and self.text[self.pos:self.pos + 2] == "\\u":
                low = self.hex4(self.pos + 2)
                if 0xDC00 <= low < 0xE000:
                    self.pos += 6
                    return chr(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
            if 0xD800 <= unit < 0xE000:  # half a character: no text encoding can store it
                raise self.fail("\\u escapes a lone surrogate", self.pos - 6)
            return chr(unit)
        raise self.fail(f"unknown escape \\{code} in a string")

    def hex4(self, at: int) -> int:
        digits = self.text[at:at + 4]
        if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise self.fail("\\u must be followed by four hexadecimal digits", at - 2)
        return int(digits, 16)

    def number(self) -> int | float:
        match = NUMBER.match(self.text, self.pos)
        if not match:
            raise self.fail("expected a number")
        literal = match.group()
        if len(literal) > MAX_NUMBER:
            raise self.fail(f"a number longer than {MAX_NUMBER} characters")
        follows = self.text[match.end():match.end() + 1]
        if follows and (follows.isalnum() or follows in "_$."):
            raise self.fail(f"{literal + follows!r}... is not a number")
        self.pos = match.end()
        if "." in literal or "e" in literal or "E" in literal:
            value = float(literal)
            if not math.isfinite(value):
                raise self.fail(f"the number {literal} is out of range", match.start())
            return value
        return int(literal)


def parse_object(text: str) -> dict[str, Any]:
    """The object that ``text`` (the whole of it, surrounding white space aside) spells."""
    reader = _Reader(text)
    if reader.peek() != "{":
        raise reader.fail("the body must be an object in braces")
    value = reader.object(1)
    if reader.peek():
        raise reader.fail("unexpected text after the object")
    return value
