"""Every /api/ response of apps built by the tests, checked against the OpenAPI document.

``pyramid.includes`` adds this module's tween (see ``tests.common.app``): it
validates each JSON response under /api/ with openapi-core, an implementation
of OpenAPI independent of the one that generated the document, and keeps what
fails in :data:`VIOLATIONS`; an autouse fixture fails the test that caused one.
Responses still reach the test unchanged, so its own assertions run as well.
"""

import json
import re
import threading

import jsonschema
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from pyramid.tweens import EXCVIEW
from werkzeug.datastructures import Headers, ImmutableMultiDict

from mediacaster.schemas.openapi import SPEC

OPENAPI = OpenAPI.from_dict(SPEC)
# What answers a request the document has no operation for (an unknown path, a 405).
ERROR = jsonschema.Draft202012Validator(SPEC["components"]["schemas"]["Error"])
API = re.compile(r"^/api(/|$)")
VIOLATIONS = []
_lock = threading.Lock()


def includeme(config):
    config.add_tween("tests.common.openapi_check.tween_factory", over=EXCVIEW)


def tween_factory(handler, registry):
    def tween(request):
        response = handler(request)
        # The raw path: one that is not UTF-8 must get its 400, not fail here.
        if not API.match(request.environ.get("PATH_INFO", "")) or request.method == "HEAD":
            return response
        route = getattr(request, "matched_route", None)
        operation = route and route.pattern.replace("{root}*path", "{path}")
        if operation in ("/api/player/{action}", "/api/queue/{action}", "/api/slideshow/{action}"):
            operation = operation.replace("{action}", request.matchdict["action"])
        if operation in SPEC["paths"] and request.method.lower() in SPEC["paths"][operation]:
            check(request, operation, response)
        else:
            check_error(request, response)
        return response

    return tween


def check(request, pattern, response):
    try:
        OPENAPI.validate_response(_Request(request, pattern), _Response(response))
    except Exception as error:
        causes = "; ".join(str(e) for e in getattr(error, "schema_errors", ()) or [error.__cause__ or ""])
        with _lock:
            VIOLATIONS.append(f"{request.method} {request.path_qs} -> {response.status}: {error} {causes}")


def check_error(request, response):
    problem = None
    if response.status_int < 400 or response.content_type != "application/json":
        problem = "not a JSON error"
    else:
        problem = next((e.message for e in ERROR.iter_errors(json.loads(response.body))), None)
    if problem:
        with _lock:
            VIOLATIONS.append(f"{request.method} {request.path_qs} -> {response.status}: {problem}")


class _Request:
    """A Pyramid request as openapi-core reads one; the path pattern comes from the matched route."""

    def __init__(self, request, pattern):
        self.host_url = request.host_url
        self.path = request.path
        self.path_pattern = pattern
        self.method = request.method.lower()
        self.body = request.body or None
        self.content_type = request.content_type or "application/json"
        path = {k: "/".join(v) if isinstance(v, tuple) else v for k, v in request.matchdict.items()}
        if "root" in path:
            path = {"path": path.pop("root") + ("/" + path["path"] if path.get("path") else "")}
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.GET.items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(list(request.cookies.items())),
            path=path,
        )


class _Response:
    def __init__(self, response):
        self.status_code = response.status_int
        self.content_type = (response.content_type or "").lower()
        self.headers = Headers(list(response.headers.items()))
        self.data = response.body
