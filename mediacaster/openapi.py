"""The OpenAPI 3 description of the JSON API, served at /api/openapi.json.

A test checks it against the routes and views the app really has.
"""


def _error(description):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(schema_ref, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


def _body(schema):
    return {"required": False, "content": {"application/json": {"schema": schema}}}


DEVICE_IN_BODY = {
    "device": {"type": "string", "description": "device id or friendly name; default: the session's"}
}
PATH_PARAM = {
    "name": "path",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "root name, then the path below it",
}
CONTROL_ERRORS = {
    "400": _error("malformed JSON or a value of the wrong type"),
    "403": _error("the session cookie was sent without its CSRF token"),
    "404": _error("unknown device"),
    "409": _error("no device chosen, or nothing playing"),
    "422": _error("a value out of range"),
    "503": _error("device offline or unreachable"),
    "504": _error("device did not answer in time"),
}

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "mediacaster", "version": "1", "description": "Browse the media library and cast it."},
    "paths": {
        "/api/library": {
            "get": {"summary": "The library roots", "responses": {"200": _ok("#/components/schemas/Roots")}}
        },
        "/api/library/{path}": {
            "get": {
                "summary": "A folder's entries, or one file's entry",
                "parameters": [
                    PATH_PARAM,
                    {
                        "name": "sort",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["name", "date", "size"]},
                    },
                    {"name": "order", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"]}},
                    {"name": "q", "in": "query", "schema": {"type": "string"}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {
                        "name": "device",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "add a will-it-play verdict for this device to each entry",
                    },
                ],
                "responses": {
                    "200": _ok("#/components/schemas/Folder"),
                    "404": _error("no such root, folder or file"),
                },
            }
        },
        "/api/search": {
            "get": {
                "summary": "Files and folders by name across all roots",
                "parameters": [
                    {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                ],
                "responses": {
                    "200": _ok("#/components/schemas/SearchResult"),
                    "400": _error("no query or a bad limit"),
                },
            }
        },
        "/api/devices": {
            "get": {
                "summary": "Cast devices found on the network",
                "responses": {"200": _ok("#/components/schemas/Devices")},
            }
        },
        "/api/session": {
            "get": {
                "summary": "What this session holds, and its CSRF token",
                "responses": {"200": _ok("#/components/schemas/Session"), "503": _error("Redis unreachable")},
            },
            "delete": {
                "summary": "Clear this session",
                "responses": {"200": _ok("#/components/schemas/Session"), "403": CONTROL_ERRORS["403"]},
            },
        },
        "/api/session/device": {
            "get": {
                "summary": "The device chosen in this session",
                "responses": {"200": _ok("#/components/schemas/ChosenDevice")},
            },
            "put": {
                "summary": "Choose this session's device",
                "requestBody": _body(
                    {"type": "object", "required": ["device"], "properties": DEVICE_IN_BODY}
                ),
                "responses": {"200": _ok("#/components/schemas/ChosenDevice"), **CONTROL_ERRORS},
            },
        },
        "/api/cast": {
            "post": {
                "summary": "Cast a file; answers once the device confirmed the LOAD",
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["path"],
                        "properties": {
                            "path": {"type": "string", "description": "<root>/<path to the file>"},
                            "start": {"type": "number", "minimum": 0},
                            **DEVICE_IN_BODY,
                        },
                    }
                ),
                "responses": {
                    "200": _ok("#/components/schemas/CastResult"),
                    **CONTROL_ERRORS,
                    "404": _error("unknown device or path"),
                    "415": _error("not video, audio or an image"),
                    "502": _error("the device could not load the media (LOAD_FAILED)"),
                },
            }
        },
        "/api/status": {
            "get": {
                "summary": "Device and media status",
                "parameters": [{"name": "device", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": _ok("#/components/schemas/Status"), **CONTROL_ERRORS},
            }
        },
        "/api/player/{action}": {
            "post": {
                "summary": "Control playback: play, pause, stop, seek, volume, mute, subtitles",
                "parameters": [
                    {
                        "name": "action",
                        "in": "path",
                        "required": True,
                        "schema": {
                            "type": "string",
                            "enum": ["play", "pause", "stop", "seek", "volume", "mute", "subtitles"],
                        },
                    }
                ],
                "requestBody": _body(
                    {
                        "type": "object",
                        "properties": {
                            **DEVICE_IN_BODY,
                            "position": {"type": "number", "minimum": 0, "description": "seek: seconds"},
                            "level": {"type": "number", "minimum": 0, "maximum": 1, "description": "volume"},
                            "muted": {"type": "boolean", "description": "mute: true or false"},
                            "track": {
                                "type": "integer",
                                "nullable": True,
                                "description": "subtitles: id or null",
                            },
                        },
                    }
                ),
                "responses": {"200": _ok("#/components/schemas/Status"), **CONTROL_ERRORS},
            }
        },
        "/api/openapi.json": {
            "get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3"}}}
        },
    },
    "components": {
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "detail"],
                "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
            },
            "Entry": {
                "type": "object",
                "required": ["name", "root", "path", "kind", "size", "mtime", "url"],
                "properties": {
                    "name": {"type": "string"},
                    "root": {"type": "string"},
                    "path": {"type": "string"},
                    "kind": {"type": "string", "enum": ["folder", "video", "audio", "image", "other"]},
                    "size": {"type": "integer"},
                    "mtime": {"type": "string", "format": "date-time"},
                    "content_type": {"type": "string", "nullable": True},
                    "url": {"type": "string"},
                    "api_url": {"type": "string"},
                    "stream_url": {"type": "string"},
                    "download_url": {"type": "string"},
                },
            },
            "Roots": {
                "type": "object",
                "properties": {"roots": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}}},
            },
            "Folder": {
                "type": "object",
                "properties": {
                    "root": {"type": "string"},
                    "path": {"type": "string"},
                    "parent": {"type": "string", "nullable": True},
                    "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}},
                },
            },
            "SearchResult": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "total": {"type": "integer"},
                    "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}},
                },
            },
            "Device": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "model": {"type": "string"},
                    "type": {"type": "string", "enum": ["cast", "audio", "group"]},
                    "online": {"type": "boolean"},
                },
            },
            "Devices": {
                "type": "object",
                "properties": {
                    "devices": {"type": "array", "items": {"$ref": "#/components/schemas/Device"}}
                },
            },
            "ChosenDevice": {
                "type": "object",
                "properties": {"device": {"type": "object", "nullable": True}},
            },
            "Session": {
                "type": "object",
                "properties": {
                    "device": {"type": "object", "nullable": True},
                    "recent": {"type": "array"},
                    "csrf_token": {"type": "string"},
                },
            },
            "Status": {
                "type": "object",
                "properties": {
                    "device": {
                        "type": "object",
                        "properties": {
                            "volume": {"type": "number"},
                            "muted": {"type": "boolean"},
                            "app": {"type": "string", "nullable": True},
                        },
                    },
                    "media": {
                        "type": "object",
                        "nullable": True,
                        "properties": {
                            "player_state": {"type": "string"},
                            "current_time": {"type": "number"},
                            "duration": {"type": "number"},
                            "title": {"type": "string"},
                            "content_id": {"type": "string"},
                            "idle_reason": {"type": "string"},
                        },
                    },
                },
            },
            "CastResult": {
                "type": "object",
                "properties": {
                    "device": {"$ref": "#/components/schemas/Device"},
                    "media_url": {"type": "string"},
                    "status": {"$ref": "#/components/schemas/Status"},
                },
            },
        }
    },
}
