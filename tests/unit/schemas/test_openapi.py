"""The OpenAPI document made from the API's models: valid, self-contained, saying what the views accept."""

import json
import re

import pytest
from openapi_core import OpenAPI
from pyramid.config import Configurator

from mediacaster.routes import ROUTES
from mediacaster.schemas.openapi import CONTROL_ERRORS, OPERATIONS, SPEC
from mediacaster.schemas.requests import (
    PLAYER_ACTIONS,
    QUEUE_ACTIONS,
    SEARCH_DEFAULT_LIMIT,
    SEARCH_MAX_LIMIT,
    SLIDESHOW_ACTIONS,
    CastRequest,
    ChooseDevice,
    ListingQuery,
)
from mediacaster.templating import JINJA2_SETTINGS

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def operations():
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def refs(node):
    """Every ``$ref`` value anywhere below ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(ref):
    assert ref.startswith("#/"), f"{ref} points outside the document"
    node = SPEC
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def test_the_document_is_openapi_3_1_that_openapi_core_accepts():
    assert SPEC["openapi"].startswith("3.1.")
    OpenAPI.from_dict(SPEC)


def test_the_document_passes_the_openapi_spec_validator():
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(SPEC)


def test_the_document_survives_a_trip_through_json():
    assert json.loads(json.dumps(SPEC)) == SPEC


def test_every_operation_of_the_list_is_in_the_document_once():
    listed = [(operation.path, operation.method) for operation in OPERATIONS]
    assert len(listed) == len(set(listed))
    assert sorted(listed) == sorted((path, method) for path, method, _ in operations())


@pytest.mark.parametrize(("path", "method", "operation"), list(operations()), ids=lambda v: str(v)[:30])
def test_every_operation_answers_errors_as_error_objects_by_default(path, method, operation):
    responses = operation["responses"]
    assert "200" in responses
    assert responses["default"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    for status, response in responses.items():
        success = status in ("200", "202")  # 202: accepted, saved later (a progress report)
        assert status == "default" or success or 400 <= int(status) < 600
        assert response["description"]
        if success:
            assert response["content"] == responses["200"]["content"]
        else:
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_every_ref_resolves_to_a_schema_inside_components():
    found = set(refs(SPEC))
    assert found, "the document has no $ref at all"
    for ref in found:
        assert ref.startswith("#/components/schemas/"), ref
        schema = resolve(ref)
        assert isinstance(schema, dict) and ("properties" in schema or "type" in schema or "anyOf" in schema)


def test_every_component_schema_is_used():
    used = {ref.rsplit("/", 1)[1] for ref in refs(SPEC)}
    assert set(SPEC["components"]["schemas"]) <= used | {"Error"}


def test_the_error_schema_requires_a_code_and_a_detail():
    error = SPEC["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "detail"}
    assert error["additionalProperties"] is False


@pytest.mark.parametrize(("path", "method", "operation"), list(operations()), ids=lambda v: str(v)[:30])
def test_every_path_template_parameter_is_declared_as_a_required_path_parameter(path, method, operation):
    in_template = set(re.findall(r"{(\w+)}", path))
    declared = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "path"}
    assert declared == in_template
    assert all(p["required"] for p in operation.get("parameters", ()) if p["in"] == "path")


@pytest.mark.parametrize(("action", "model"), list(PLAYER_ACTIONS.items()))
def test_each_player_action_has_its_path_and_its_body(action, model):
    body = SPEC["paths"][f"/api/player/{action}"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{model.__name__}"}
    assert body["required"] is bool(model.model_json_schema().get("required"))
    assert list(PLAYER_ACTIONS) == ["play", "pause", "stop", "seek", "volume", "mute", "subtitles", "audio"]


def test_choosing_the_sound_documents_the_errors_of_casting_again():
    """It casts the file again: what a cast can answer, and what plays not being this app's."""
    operation = SPEC["paths"]["/api/player/audio"]["post"]
    assert {"404", "409", "422", "502", "503", "507"} <= set(operation["responses"])
    assert "sound track" in operation["responses"]["404"]["description"]
    assert "not cast by this app" in operation["responses"]["409"]["description"]
    track = SPEC["components"]["schemas"]["AudioChoice"]["properties"]["track"]
    assert (track["type"], track["minimum"]) == ("integer", 0)
    assert SPEC["components"]["schemas"]["Status"]["properties"]["audio_tracks"]["items"] == {
        "$ref": "#/components/schemas/AudioTrack"
    }
    # The other actions' errors are the controls' alone.
    assert set(SPEC["paths"]["/api/player/seek"]["post"]["responses"]) == {
        *map(str, CONTROL_ERRORS),
        "200",
        "default",
    }


def test_bodies_with_required_fields_are_required():
    assert SPEC["paths"]["/api/cast"]["post"]["requestBody"]["required"] is True
    assert SPEC["paths"]["/api/session/device"]["put"]["requestBody"]["required"] is True
    assert SPEC["paths"]["/api/player/play"]["post"]["requestBody"]["required"] is False


def test_the_search_takes_a_required_q_and_a_bounded_limit():
    parameters = {p["name"]: p for p in SPEC["paths"]["/api/search"]["get"]["parameters"]}
    assert set(parameters) == {"q", "limit"}
    q, limit = parameters["q"], parameters["limit"]
    assert (q["in"], q["required"], q["schema"]["type"], q["schema"]["minLength"]) == (
        "query",
        True,
        "string",
        1,
    )
    assert (limit["in"], limit["required"], limit["schema"]["type"]) == ("query", False, "integer")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"], limit["schema"]["default"]) == (
        1,
        SEARCH_MAX_LIMIT,
        SEARCH_DEFAULT_LIMIT,
    )


def test_the_listing_query_parameters_are_those_of_its_model_and_none_is_required():
    parameters = SPEC["paths"]["/api/library/{path}"]["get"]["parameters"]
    query = {p["name"]: p for p in parameters if p["in"] == "query"}
    assert set(query) == set(ListingQuery.model_fields)
    assert not any(p["required"] for p in query.values())
    assert query["sort"]["schema"]["enum"] == ["name", "date", "size"]


@pytest.mark.parametrize(
    ("path", "method", "model"),
    [
        ("/api/cast", "post", CastRequest),
        ("/api/session/device", "put", ChooseDevice),
    ],
)
def test_a_body_is_described_by_its_model(path, method, model):
    schema = SPEC["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": f"#/components/schemas/{model.__name__}"}
    component = resolve(schema["$ref"])
    assert set(component["properties"]) == set(model.model_fields)
    assert set(component.get("required", ())) == {n for n, f in model.model_fields.items() if f.is_required()}


# The routes whose {action} the document gives a path of its own, with its own body.
ACTIONS = {
    "api.player": PLAYER_ACTIONS,
    "api.queue.action": QUEUE_ACTIONS,
    "api.slideshow.action": SLIDESHOW_ACTIONS,
}


@pytest.fixture(scope="module")
def served():
    """``{(route, method): permission}`` of every API view, as Pyramid registers them."""
    config = Configurator(settings={**JINJA2_SETTINGS, "pyramid.reload_assets": False})
    config.include("mediacaster.templating")
    config.include("mediacaster.views.errors")  # the predicate of the API's error views
    config.include("mediacaster.routes")
    config.scan("mediacaster.views")
    config.commit()
    introspector = config.registry.introspector
    views = {}
    for route in introspector.get_category("routes"):
        name = route["introspectable"]["name"]
        for view in introspector.related(route["introspectable"]):
            if view.category_name != "views" or not name.startswith("api."):
                continue
            methods = view["request_methods"]
            assert methods, f"a view of {name} answers every method"
            permission = next(
                p["value"] for p in introspector.related(view) if p.category_name == "permissions"
            )
            for method in (methods,) if isinstance(methods, str) else methods:
                views[name, method.lower()] = permission
    return views


def test_every_operation_names_a_route_of_the_app():
    assert {operation.route for operation in OPERATIONS} <= set(ROUTES)


def test_every_api_route_has_one_operation_per_method_it_serves(served):
    documented = {}
    for operation in OPERATIONS:
        documented.setdefault((operation.route, operation.method), []).append(operation.action)
    assert set(documented) == set(served)
    for (route, method), actions in documented.items():
        # An {action} route: one operation per action the view takes, each at its own path.
        expected = list(ACTIONS[route]) if route in ACTIONS else [None]
        assert actions == expected, (route, method)


def test_every_operation_states_the_permission_of_its_view(served):
    for operation in OPERATIONS:
        assert operation.permission == served[operation.route, operation.method], operation.path
