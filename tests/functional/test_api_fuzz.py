"""Fuzz the JSON API from its own OpenAPI document with Schemathesis.

Hand-written API tests only send the requests their author thought of. Schemathesis instead
makes its own requests from the document: requests that match it and requests that break it,
with bodies that are malformed, of the wrong type, or sent with the wrong content type. Then it
checks what comes back:

- no 5xx;
- the status code, content type and body are what the document says;
- requests that break the document are refused with a 4xx, and requests that match it are not
  refused with a 400 (if they are, the document promises more than the server accepts);
- methods the document does not list get a 405 with an ``Allow`` header.

Every response is also validated by openapi-core through the project's own check
(``tests.common.openapi_check``), per request, so Hypothesis can shrink a violation to a minimal
request.

Requests run in-process against the app, with a real Redis and a fake Chromecast of the
module's own. The host the app sees is a waitress running the same app, and that is where the
device downloads the media it is told to cast.
"""

import json

import pytest
import schemathesis
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from mediacaster import main
from mediacaster.fakecast import FakeChromecast
from mediacaster.schemas.openapi import SPEC
from tests.common import openapi_check
from tests.common.app import app_settings, wait_for
from tests.common.servers import LiveServer

pytestmark = pytest.mark.slow

ON = {"enabled": True}
# Schemathesis's default list of statuses that may answer a valid request, plus 422. In this
# API a 422 refuses a well-formed request that cannot be carried out, such as a file that will
# not play on the device (will_not_play), and the document says so. The check must only fail
# on a 400, which means that the server's parser is stricter than the document.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20240601,  # the same requests on every run, in CI and locally
        "continue-on-failure": True,  # report every distinct failure of an operation, not only the first
        # About 10 s for the module while three operations fail early, 20 to 30 s once all pass.
        "generation": {"max-examples": 100, "database": "none"},
        "checks": {
            # Only the checks listed here. The other built-in checks test authentication,
            # required headers and resources created through links, and the document has none.
            "enabled": False,
            "not_a_server_error": ON,
            "status_code_conformance": ON,
            "content_type_conformance": ON,
            "response_schema_conformance": ON,
            "response_headers_conformance": ON,
            "negative_data_rejection": ON,
            "positive_data_acceptance": {**ON, "expected-statuses": ACCEPTED},
            "unsupported_method": ON,
            "allow_header_conformance": ON,
        },
        "operations": [
            # The same reasoning for 415 on /api/cast: "not video, audio or an image".
            {
                "include-path": "/api/cast",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "415"]}},
            }
        ],
    }
)

# Loaded from the module, not from the app. At collection time there is no app yet (it needs
# Redis), and schemathesis.pytest.from_fixture fails under pytest 9 with "'Function' object has
# no attribute '_nodeid'". test_the_document_is_the_one_served checks that the two are the same.
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(SPEC)), config=CONFIG)

DEVICE, DEVICE_ADDRESS = "Fuzz TV", "127.0.0.7"  # other tests' devices use 127.0.0.2 to .6 and .9
LIBRARY_PATH = "/api/library/{path}"
FILES = [  # from tests.common.app.make_library
    "video/movie.mp4",
    "video/odd name #1?%.mp4",
    "video/Café.webm",
    "video/inside-link.mp4",
    "video/escape.mp4",
    "video/.hidden.mp4",
    "video/notes.txt",
    "audio/Album/01 Song.mp3",
    "images/photo.png",
]
ENTRIES = ["video", "video/Series", "video/Series/Season 1", "audio/Album", "images", *FILES]


def takes_device(operation):
    return any(parameter.name == "device" for parameter in operation.query)


@schema.hook
def flatmap_case(context, case):
    """Random text never names the device or a file, so nearly every answer would be a 404.
    Here valid requests often name real ones, which reaches listings, verdicts, casts and the
    player. Requests meant to be invalid are left as they are, so that they stay invalid."""
    operation = case.operation
    if case.meta.generation.mode is not GenerationMode.POSITIVE or not (
        operation.path == LIBRARY_PATH or list(operation.body) or takes_device(operation)
    ):
        return st.just(case)
    choices = st.tuples(st.booleans(), st.sampled_from(FILES), st.none() | st.sampled_from(ENTRIES))
    return choices.map(lambda choice: aim(case, *choice))


def aim(case, name_device, file, entry):
    # Set only what changes. Schemathesis validates again whatever is set, and it counts a
    # missing optional body as invalid, so a valid request would be mistaken for an invalid one.
    if name_device and takes_device(case.operation):
        case.query = {**case.query, "device": DEVICE}
    if isinstance(case.body, dict):
        # Bodies that name files or folders name real ones: a cast's path, a queue's paths,
        # a queue's or a slideshow's folder.
        body = {**case.body, **({"device": DEVICE} if name_device else {})}
        if "path" in body:
            body["path"] = file
        if isinstance(body.get("paths"), list):
            body["paths"] = [file] * len(body["paths"])
        if isinstance(body.get("folder"), str):
            body["folder"] = next((e for e in ENTRIES if e not in FILES and e == entry), "audio/Album")
        if body != case.body:
            case.body = body
    if entry and case.operation.path == LIBRARY_PATH:
        # One parameter holds the root and the path below it, slashes included (schemas/openapi.py).
        case.path_parameters = {"path": entry}
    return case


@pytest.fixture(scope="module")
def device():
    # The module's own device, so that whatever the fuzzer does to it cannot affect other tests.
    device = FakeChromecast(DEVICE, "Chromecast", DEVICE_ADDRESS, port=8009, eureka=True).start()
    yield device
    device.stop()


@pytest.fixture(scope="module")
def fuzz_app(redis_server, library_roots, device):
    """One app for the whole module. All the examples of a test would share a function-scoped
    app anyway, which Hypothesis rightly warns about."""
    discovery = {
        "mediacaster.discovery": "true",
        "mediacaster.discovery_interfaces": "127.0.0.1",
        "mediacaster.known_hosts": DEVICE_ADDRESS,
    }
    app = main({}, **app_settings(library_roots, redis_server.url, **discovery))
    app.registry.services.search.ready.wait(10)
    wait_for(lambda: any(d.online for d in app.registry.services.cast.devices()), 20, "the fake device")
    yield app
    app.registry.services.close()


@pytest.fixture(scope="module")
def media_host(fuzz_app):
    with LiveServer(fuzz_app) as server:
        yield server.url


def test_the_document_is_the_one_served(fuzz_app):
    served = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app, config=CONFIG)
    assert served.raw_schema == schema.raw_schema


@schema.parametrize()
@settings(deadline=None)  # a cast waits for the device to fetch the media and confirm the LOAD
def test_api_keeps_to_its_document(case, fuzz_app, media_host):
    seen = len(openapi_check.VIOLATIONS)
    # The app builds the media URL it gives the device from the request's host: media_host.
    case.call_and_validate(app=fuzz_app, base_url=media_host)
    violations = openapi_check.VIOLATIONS[seen:]
    assert not violations, "openapi-core: " + "\n".join(violations)
