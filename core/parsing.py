"""Request parsing for the API (core/api.py): bodies are JSON objects of valid Unicode, a
query parameter comes once, and pydantic's validation errors become the contract's codes
(missing_field, unknown_field, invalid_field)."""

import json
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from ninja.params import ParamShortcut
from ninja.params.models import BodyModel
from ninja.params.models import Param as _Param
from ninja.parser import Parser

from core.errors import (
    AppError,
    InvalidFieldError,
    InvalidJsonError,
    MissingFieldError,
    UnknownFieldError,
)

# ---- request bodies ----------------------------------------------------------------------


def _is_valid_unicode(value: Any) -> bool:
    """JSON may escape lone surrogates ("\\ud800"); such text has no UTF-8 form, so BSON
    cannot store or even query it. Refused at the boundary instead of failing in the driver.

    A loop, not recursion: a body nested a few hundred levels deep parses, but recursing
    through it would hit the interpreter's recursion limit (a 500)."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return True


class JsonParser(Parser):
    """A request body is one JSON object of valid Unicode; an empty body counts as {}.
    A query parameter is given at most once (a repeated one is invalid_field)."""

    def parse_querydict(self, data, list_fields, request) -> dict[str, Any]:
        for key in data:
            if key not in list_fields and len(data.getlist(key)) > 1:
                raise InvalidFieldError(f"The query parameter '{key}' was given more than once.")
        return super().parse_querydict(data, list_fields, request)

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        raw = request.body  # raises RequestDataTooBig (413) past DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            data = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise InvalidJsonError() from None
        except RecursionError:  # nested deeper than the interpreter's recursion limit
            raise InvalidJsonError("The request body is nested too deeply.") from None
        if not isinstance(data, dict):
            raise InvalidJsonError("The request body must be a JSON object.")
        if not _is_valid_unicode(data):
            raise InvalidJsonError("The request body has text that is not valid Unicode.")
        return data


class _JsonBodyModel(BodyModel):
    """ninja's BodyModel skips the parser for an empty body (then a body parameter is
    "missing") and wraps the parser's errors in a generic 400; here the parser always runs
    and its AppErrors (invalid_json, 413) reach the handler as they are."""

    @classmethod
    def get_request_data(cls, request, api, path_params):
        data = api.parser.parse_body(request)
        name = getattr(cls, "__read_from_single_attr__", None)
        return {name: data} if name else data


class _JsonBodyParam(_Param):
    _model = _JsonBodyModel

    @classmethod
    def _param_source(cls) -> str:
        return "body"


def _json_body(default: Any = ..., **kwargs: Any) -> Any:
    return _JsonBodyParam(default, **kwargs)


# The request body of an operation: `def login(request, body: JsonBody[LoginIn])`.
JsonBody = ParamShortcut(_json_body)


# ---- validation errors -------------------------------------------------------------------

_TYPE_NAMES = {
    "string_type": "a string",
    "bool_type": "a boolean",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def _field_name(loc: Iterable[Any]) -> str:
    """ "body.body.email" -> "email", "query.limit" -> "limit": the name the client sent.
    A single body parameter adds its own name after the source; union members add their
    type names (int, str, literal[...]), which the client never wrote."""
    loc = list(loc)
    if loc and loc[0] == "body":
        loc = loc[2:] if len(loc) > 2 else loc[1:]
    elif loc:
        loc = loc[1:]
    parts = [str(part) for part in loc if not _is_union_tag(part)]
    return ".".join(parts) or "body"


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (
        part in ("int", "str", "bool", "float", "none", "list", "dict")
        or part.startswith(("literal[", "constrained-", "function-", "nullable["))
    )


def validation_error(errors: list[dict[str, Any]]) -> AppError:
    """The AppError for pydantic's errors: unknown fields first (all of them), then the first
    missing field, then the first ill-typed or invalid one."""
    unknown = sorted({_field_name(e["loc"]) for e in errors if e["type"] == "extra_forbidden"})
    if unknown:
        return UnknownFieldError(f"Unknown field(s): {', '.join(unknown)}.")
    for e in errors:
        if e["type"] == "missing":
            return MissingFieldError(f"The field '{_field_name(e['loc'])}' is required.")
    first = errors[0]
    name = _field_name(first["loc"])
    wanted = _TYPE_NAMES.get(first["type"])
    if wanted:
        return InvalidFieldError(f"The field '{name}' must be {wanted}.")
    return InvalidFieldError(f"The field '{name}' is invalid: {first['msg']}.")
