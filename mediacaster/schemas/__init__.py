"""The JSON API, described once: pydantic models from which the OpenAPI document is made.

:mod:`.requests` holds what the API accepts, :mod:`.replies` what it answers and
:mod:`.openapi` the document, each operation at the path of its route in
:mod:`mediacaster.routes`. Views parse every query string and body through the
request models (:mod:`mediacaster.views.inputs`), so what the document says is
what the server accepts; the reply models describe what
:mod:`mediacaster.presenters` builds, and the test suite checks every API
response against the document.

Why pydantic and not pyramid_openapi3 (a YAML document validated by
openapi-core on every request): the models are Python the views use directly,
typed, with one definition for the parser and the document; pydantic's parser
costs microseconds where openapi-core's request validation costs about a
millisecond, on an API a page polls every second; our ``/{root}*path`` routes
cannot be matched to a document path by pyramid_openapi3's route mapping; and
errors come out in the API's own ``{"error", "detail"}`` shape with a sentence
per field. openapi-core still has a role: the test suite validates responses
with it, independently of the code that wrote the document.
"""
