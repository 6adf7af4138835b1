"""Administering accounts: who may log in, their role, the roots they see, their password;
as pages and as JSON. The rules live in :mod:`mediacaster.services.accounts`."""

from contextlib import contextmanager

from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from mediacaster import presenters
from mediacaster.errors import Conflict, NotFound, Unprocessable
from mediacaster.lifecycle import services_of
from mediacaster.models.accounts import User
from mediacaster.schemas.requests import NewUser, UserChange
from mediacaster.security import ADMINISTER
from mediacaster.services import accounts
from mediacaster.views.inputs import parse_body
from mediacaster.views.passwords import keep_logged_in

ID_MAX = 2**63 - 1  # the largest id a database column holds


def known_roots(request):
    return list(services_of(request).library.roots)


def acting(request):
    """The administrator asking, by id; None with logins off (the demo user has no account)."""
    return request.identity.user_id


def matched_user(request):
    user_id = request.matchdict["id"]
    number = int(user_id) if user_id.isascii() and user_id.isdigit() else 0
    user = request.dbsession().get(User, number) if 0 < number <= ID_MAX else None
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


# -- the API -------------------------------------------------------------------------


@contextmanager
def refusals():
    """Account rules as API errors: 409 for a conflict, 422 for a value the document
    cannot rule out (a root that does not exist, a name that is not printable)."""
    try:
        yield
    except accounts.AccountConflict as error:
        raise Conflict(str(error)) from None
    except accounts.AccountError as error:
        raise Unprocessable(str(error)) from None


def user_json(user):
    return presenters.user_json(user, len(user.tokens))


@view_config(route_name="api.users", permission=ADMINISTER, request_method="GET", renderer="json")
def users(request):
    return {"users": [presenters.user_json(*row) for row in accounts.users(request.dbsession())]}


@view_config(route_name="api.users", permission=ADMINISTER, request_method="POST", renderer="json")
def create(request):
    body = parse_body(request, NewUser)
    with refusals():
        user = accounts.create_user(
            request.dbsession(), body.name, body.password, body.role, body.roots, known_roots(request)
        )
    return user_json(user)


@view_config(route_name="api.user", permission=ADMINISTER, request_method="GET", renderer="json")
def show(request):
    return user_json(matched_user(request))


@view_config(route_name="api.user", permission=ADMINISTER, request_method="PATCH", renderer="json")
def change(request):
    body = parse_body(request, UserChange)
    user = matched_user(request)
    given = body.model_fields_set
    with refusals():
        accounts.update_user(
            request.dbsession(),
            user,
            known_roots(request),
            role=body.role if body.role is not None else accounts.UNCHANGED,
            roots=body.roots if "roots" in given else accounts.UNCHANGED,
            acting=acting(request),
        )
        if body.password is not None:
            accounts.reset_password(user, body.password, body.revoke_tokens)
            keep_logged_in(request, user)  # the session's cookie is set by the session itself
    return user_json(user)


@view_config(route_name="api.user", permission=ADMINISTER, request_method="DELETE", renderer="json")
def remove(request):
    user = matched_user(request)
    with refusals():
        accounts.remove_user(request.dbsession(), user, acting(request))
    return {"removed": user.id}


# -- the pages -----------------------------------------------------------------------


def chosen_roots(request):
    """The roots ticked in a form: None when "every root" is. A member starts with none
    ticked, so that giving them everything is a choice rather than a default."""
    if request.POST.get("every_root"):
        return None
    roots = request.POST.getall("roots")
    if not roots and request.POST.get("role", "member") != "admin":
        raise accounts.AccountError("tick the roots this member sees, or “every root” to give them all")
    return roots


# What the page says after a change, read from the address it was sent back to
# (?done=...): the change is confirmed without a session to carry a message.
DONE = {
    "added": "Added {name}.",
    "saved": "Saved: {name} {sees}.",
    "password": "New password set for {name}: their browsers are logged out.",
    "removed": "Removed {name}.",
}


def done_message(request, user=None):
    """The confirmation the address asks for, naming ``user`` (or the user ?id= names)."""
    what = request.params.get("done")
    if what not in DONE:
        return None
    if user is None:
        given = request.params.get("id", "")
        number = int(given) if given.isascii() and given.isdigit() else 0
        user = request.dbsession().get(User, number) if 0 < number <= ID_MAX else None
    name = user.name if user else request.params.get("name", "")
    return DONE[what].format(name=name, sees=presenters.sees(user) if user else "")


def refused(request, error, values):
    """A form's page again, with why it was refused: 409 for a conflict, else 400."""
    request.response.status_int = 409 if isinstance(error, accounts.AccountConflict) else 400
    return {**values, "error": str(error)}


def list_page(request, form=None):
    return {
        "users": accounts.users(request.dbsession()),
        "roots": known_roots(request),
        "form": form or {"name": "", "role": "member", "roots": []},  # what the add form shows
        "csrf_token": get_csrf_token(request),
        "done": done_message(request),
        "conversions": services_of(request).conversion.overview(),
    }


def user_page(request, user):
    return {
        "user": user,
        "roots": known_roots(request),
        "is_me": user.id == acting(request),
        "csrf_token": get_csrf_token(request),
        "done": done_message(request, user),
    }


@view_config(
    route_name="admin.users", permission=ADMINISTER, request_method="GET", renderer="admin_users.jinja2"
)
def users_page(request):
    return list_page(request)


@view_config(
    route_name="admin.users", permission=ADMINISTER, request_method="POST", renderer="admin_users.jinja2"
)
def create_on_page(request):
    post = request.POST
    form = {"name": post.get("name", ""), "role": post.get("role", ""), "roots": post.getall("roots")}
    try:
        form["roots"] = chosen_roots(request)
        user = accounts.create_user(
            request.dbsession(),
            form["name"],
            post.get("password", ""),
            form["role"],
            form["roots"],
            known_roots(request),
        )
    except accounts.AccountError as error:
        return refused(request, error, list_page(request, form))
    return HTTPSeeOther(request.route_url("admin.users", _query={"done": "added", "id": user.id}))


@view_config(
    route_name="admin.user", permission=ADMINISTER, request_method="GET", renderer="admin_user.jinja2"
)
def user_page_view(request):
    return user_page(request, matched_user(request))


@view_config(
    route_name="admin.user", permission=ADMINISTER, request_method="POST", renderer="admin_user.jinja2"
)
def change_on_page(request):
    user = matched_user(request)
    try:
        accounts.update_user(
            request.dbsession(),
            user,
            known_roots(request),
            role=request.POST.get("role", ""),
            roots=chosen_roots(request),
            acting=acting(request),
        )
    except accounts.AccountError as error:
        return refused(request, error, user_page(request, user))
    return HTTPSeeOther(request.route_url("admin.user", id=user.id, _query={"done": "saved"}))


@view_config(
    route_name="admin.user.password",
    permission=ADMINISTER,
    request_method="POST",
    renderer="admin_user.jinja2",
)
def reset_on_page(request):
    user = matched_user(request)
    password = request.POST.get("password", "")
    try:
        if password != request.POST.get("again", ""):
            raise accounts.AccountError("the two passwords differ")
        accounts.reset_password(user, password, bool(request.POST.get("revoke_tokens")))
    except accounts.AccountError as error:
        return refused(request, error, user_page(request, user))
    return HTTPSeeOther(
        request.route_url("admin.user", id=user.id, _query={"done": "password"}),
        headers=keep_logged_in(request, user),
    )


@view_config(
    route_name="admin.user.remove", permission=ADMINISTER, request_method="POST", renderer="admin_user.jinja2"
)
def remove_on_page(request):
    user = matched_user(request)
    name = user.name
    try:
        accounts.remove_user(request.dbsession(), user, acting(request))
    except accounts.AccountError as error:
        return refused(request, error, user_page(request, user))
    return HTTPSeeOther(request.route_url("admin.users", _query={"done": "removed", "name": name}))
