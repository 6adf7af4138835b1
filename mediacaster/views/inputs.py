"""What a request carries, read and checked in one place: entry paths, query strings, JSON bodies.

Query strings and bodies are parsed through the models of
:mod:`mediacaster.schemas.requests`, so the API accepts exactly what its document
says. A malformed value answers 400, a body value out of range 422, each with
one sentence that names the field; pages (``lenient``) fall back to defaults
instead, since people follow links rather than write queries.
"""

import json

from pydantic import ValidationError

from mediacaster.bytenames import real_names
from mediacaster.errors import BadRequest, NotFound, Unprocessable

RANGE_ERRORS = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}
EXPECTED = {
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
}


def entry_path(request):
    """``(root, segments)`` of a ``/{root}*path`` route.

    Pyramid folds ``.`` and ``..`` segments away before the view sees them; a
    request that holds any (typed, or percent-encoded as ``%2e%2e``) is refused
    rather than quietly resolved to some other file.
    """
    if any(part in (".", "..") for part in request.path_info.split("/")):
        raise NotFound("no such file or folder")
    return real_names(request.environ, request.matchdict["root"], request.matchdict["path"])


def json_body(request):
    """The request's JSON object; an empty body is an empty object."""
    if not request.body:
        return {}
    try:
        # JSON is UTF-8 (RFC 8259): a charset parameter, even an unknown one, is not used.
        body = json.loads(request.body)
    except ValueError as error:
        raise BadRequest(f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise BadRequest("the body is not valid JSON: nested too deeply") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def parse_body(request, model):
    try:
        return model.model_validate(json_body(request))
    except ValidationError as error:
        raise _explain(error, model, "body") from None


def parse_query(request, model, lenient=False):
    values = {name: request.GET[name] for name in model.model_fields if name in request.GET}
    # One value each, as the document says: a name given twice is not a list.
    twice = next((name for name in values if len(request.GET.getall(name)) > 1), None)
    if twice is not None and not lenient:
        raise BadRequest(f"give {twice} once")
    try:
        return model.model_validate(values)
    except ValidationError as error:
        if not lenient:
            raise _explain(error, model, "query") from None
        wrong = {e["loc"][0] for e in error.errors() if e["loc"]}
        return model.model_validate({k: v for k, v in values.items() if k not in wrong})


def _explain(error, model, where):
    """The first problem of ``error``, in one sentence, as the error it answers."""
    problem = error.errors()[0]
    name = str(problem["loc"][0]) if problem["loc"] else "the body"
    field = model.model_fields.get(name)
    description = (field.description if field else None) or "see /api/openapi.json"
    kind = problem["type"]
    if kind == "missing" or (kind == "string_too_short" and not str(problem.get("input") or "").strip()):
        if where == "query":
            return BadRequest(f"give {description} as ?{name}=")
        return BadRequest(f"{name} is required: {description}")
    if kind in RANGE_ERRORS or (kind in ("int_parsing", "int_type") and where == "query"):
        lowest, highest = _bounds(field)
        number = "a whole number" if field and field.annotation is int else "a number"
        if lowest is not None and highest is not None:
            span = f"from {_number(lowest)} to {_number(highest)}"
        else:
            span = f"{_number(lowest)} or more" if lowest is not None else f"at most {_number(highest)}"
        text = f"{name} must be {number} {span}" if where == "query" else f"{name} must be {span}"
        return BadRequest(text) if where == "query" else Unprocessable(text)
    if kind == "literal_error":
        return BadRequest(f"{name} must be one of {problem['ctx']['expected']}")
    return BadRequest(f"{name} must be {EXPECTED.get(kind, 'valid: ' + problem['msg'])}")


def _number(value):
    """0.5 as 0.5, 10000000 as 10000000 (not 1e+07)."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _bounds(field):
    lowest = highest = None
    for rule in field.metadata if field else ():
        lowest = getattr(rule, "ge", lowest)
        highest = getattr(rule, "le", highest)
    return lowest, highest
