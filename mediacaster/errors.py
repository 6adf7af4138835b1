"""The app's errors: each carries the status a person would expect and a stable code.

Services raise these with a message a person can act on; they know nothing of
HTTP beyond the status number that classifies the failure. One exception view
(:mod:`mediacaster.views.errors`) answers every one of them: a page for people,
``{"error": code, "detail": message}`` under ``/api/``.
"""


class AppError(Exception):
    """Base of every error the app answers on purpose."""

    status = 500
    code = "internal_error"
    default_detail = "something went wrong on the server; it has been logged"

    def __init__(self, detail=None, headers=None):
        super().__init__(detail or self.default_detail)
        self.headers = dict(headers or {})  # e.g. Allow, Retry-After

    @property
    def detail(self):
        return str(self)


class BadRequest(AppError):
    """The request is malformed: bad JSON, a value of the wrong type, a missing field."""

    status, code = 400, "bad_request"
    default_detail = "the request is malformed"


class Forbidden(AppError):
    status, code = 403, "forbidden"
    default_detail = "this is not allowed"


class NotFound(AppError):
    """No such root, folder, file, track or page (or one outside its root)."""

    status, code = 404, "not_found"
    default_detail = "nothing here"


class MethodNotAllowed(AppError):
    status, code = 405, "method_not_allowed"


class Conflict(AppError):
    status, code = 409, "conflict"


class Gone(AppError):
    """What the URL named existed once and not any more (a file changed since)."""

    status, code = 410, "gone"


class UnsupportedMedia(AppError):
    status, code = 415, "unsupported_media"


class Unprocessable(AppError):
    """Well-formed, but a value is out of range or the thing cannot be done to this file."""

    status, code = 422, "unprocessable_entity"


class Unavailable(AppError):
    """Something the request needs is down for now; ``retry_after`` says when to try again."""

    status, code = 503, "service_unavailable"
    default_detail = "the service is unavailable for now"
    default_retry_after = None  # seconds

    def __init__(self, detail=None, headers=None, retry_after=None):
        super().__init__(detail, headers)
        retry_after = retry_after if retry_after is not None else self.default_retry_after
        if retry_after is not None:
            self.headers["Retry-After"] = str(retry_after)


class InsufficientStorage(AppError):
    """The disk the app writes to is full."""

    status, code = 507, "insufficient_storage"


class SessionStoreUnavailable(Unavailable):
    """Redis, which keeps sessions and logins, does not answer (down, restarting or stopped)."""

    code = "session_store_unavailable"
    default_detail = (
        "the app's session store (Redis) cannot be reached just now, it may be restarting; "
        "try again in a few seconds"
    )
    default_retry_after = 5


class DatabaseUnavailable(Unavailable):
    """The database does not answer, or cannot write just now (stopped, restarting, locked
    by another writer, or read-only)."""

    code = "database_unavailable"
    default_detail = (
        "the app's database cannot be reached or written just now (it may be restarting or busy); "
        "try again in a few seconds"
    )
    default_retry_after = 10


class DiskFull(InsufficientStorage):
    """What the app writes to its data folder (its database, its sessions) finds no space."""

    code = "disk_full"
    default_detail = (
        "the server's disk is full, so this change cannot be saved; what is saved can still "
        "be read: free some space on the server"
    )
