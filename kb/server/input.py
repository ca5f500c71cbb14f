"""Reading API requests: strict JSON bodies within size, depth and time limits; typed fields; 4xx."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Sequence
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

MAX_DEPTH = 64  # how deep a request's JSON may nest; the API's own bodies need three levels
# a JSON string, or the rest of the text after an unterminated one (so the scan stays linear)
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class ApiError(Exception):
    """An error answered as JSON: {"error": message, "field": name}."""

    def __init__(self, status: int, message: str, fld: str | None = None, **headers: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = fld
        self.headers = headers


def error_response(status: int, message: str, fld: str | None = None, **headers: str) -> Response:
    """The JSON answer {"error": message, "field": name} with `status` and `headers`."""
    body: dict[str, Any] = {"error": message}
    if fld:
        body["field"] = fld
    return JSONResponse(body, status_code=status, headers=headers or None)


async def read_json(request: Request, limit: int, timeout: float = 0.0) -> dict[str, Any]:
    """Read a JSON object body of at most `limit` bytes in `timeout` s; ApiError 4xx otherwise."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise ApiError(415, f"expected a JSON body (Content-Type: application/json), got {ctype}")
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise ApiError(413, f"the body is {length} bytes; the limit is {limit}")
    raw = bytearray()
    try:
        async with asyncio.timeout(timeout if timeout > 0 else None):
            async for chunk in request.stream():
                raw += chunk
                if len(raw) > limit:
                    raise ApiError(413, f"the body is larger than the limit of {limit} bytes")
    except TimeoutError:
        raise ApiError(408, f"the body did not arrive within {timeout:g} s") from None
    except ClientDisconnect:
        raise ApiError(400, "the client went away before sending the whole body") from None
    return parse_json(bytes(raw))


def parse_json(raw: bytes, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """Parse a JSON object strictly: UTF-8, no NaN, no lone surrogates, nested at most `max_depth`."""
    if not raw.strip():
        raise ApiError(400, "the body is empty; expected a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"the body is not UTF-8 (byte {exc.start})") from None
    if too_deep(text, max_depth):
        raise ApiError(400, f"malformed JSON: nested deeper than {max_depth} levels")
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:  # not reached with max_depth this low; never a 500 all the same
        raise ApiError(400, "malformed JSON: nested too deep") from None
    except ValueError as exc:
        raise ApiError(400, f"malformed JSON: {exc}") from None
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ApiError(400, f"malformed JSON: a lone surrogate {exc.object[exc.start]!r}") from None
    if not isinstance(value, dict):
        raise ApiError(400, f"expected a JSON object, got {kind_of(value)}")
    return value


def too_deep(text: str, max_depth: int = MAX_DEPTH) -> bool:
    """True when the arrays and objects of a JSON text nest deeper than `max_depth`.

    Brackets inside strings do not count. A few passes at C speed whatever the text's shape, so a
    deep body costs no more than a long one, and the parser never sees it.
    """
    if text.count("[") + text.count("{") <= max_depth:
        return False  # the common case: two counts
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0) > max_depth


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def kind_of(value: Any) -> str:
    """How a JSON value is named in messages: "a string", "an array", "null"..."""
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    names |= {list: "an array", dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def get_text(body: dict[str, Any], name: str, *, required: bool, max_len: int) -> str | None:
    """A string field: present (when required), a string, not blank, not too long."""
    value = body.get(name)
    if value is None:
        if required:
            raise ApiError(400, f"{name}: required", name)
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{name}: expected a string, got {kind_of(value)}", name)
    if not value.strip():
        raise ApiError(400, f"{name}: must not be empty", name)
    if len(value) > max_len:
        raise ApiError(400, f"{name}: longer than {max_len} characters", name)
    return value


def get_str(body: dict[str, Any], name: str, max_len: int) -> str | None:
    """An optional string field that may be empty (null when absent)."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{name}: expected a string, got {kind_of(value)}", name)
    if len(value) > max_len:
        raise ApiError(400, f"{name}: longer than {max_len} characters", name)
    return value


def need_text(body: dict[str, Any], name: str, max_len: int) -> str:
    """A required string field (see get_text)."""
    value = get_text(body, name, required=True, max_len=max_len)
    assert value is not None
    return value


def get_int(value: Any, name: str, default: int, lo: int, hi: int) -> int:
    """An integer field or query parameter within [lo, hi]."""
    if value is None:
        return default
    if isinstance(value, str):
        if not re.fullmatch(r"-?[0-9]{1,9}", value):
            raise ApiError(400, f"{name}: expected a whole number, got {value!r}", name)
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON Schema counts 5.0 as an integer
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{name}: expected a whole number, got {kind_of(value)}", name)
    if not lo <= value <= hi:
        raise ApiError(400, f"{name}: must be between {lo} and {hi}, got {value}", name)
    return value


def get_lang(value: Any, languages: Sequence[str], name: str = "lang") -> str | None:
    """A language code among the KB's languages (None when absent)."""
    if value is None:
        return None
    if not isinstance(value, str) or value not in languages:
        shown = value if isinstance(value, str) else kind_of(value)
        raise ApiError(
            400, f"{name}: unknown language {shown!r} (use {', '.join(languages)})", name
        )
    return value
