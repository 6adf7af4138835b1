"""One's own account: the API tokens scripts send (made, listed, revoked), as a page and
as JSON; and one's own password."""

from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from mediacaster.errors import Conflict, NotFound
from mediacaster.lifecycle import services_of
from mediacaster.models.accounts import User, as_utc
from mediacaster.schemas.requests import TokenRequest
from mediacaster.security import ACCOUNT
from mediacaster.services import accounts
from mediacaster.views.inputs import parse_body
from mediacaster.views.passwords import keep_logged_in


class LoginsOff(Conflict):
    """Logins are off: nobody has an account, so there are no tokens or passwords to manage."""

    headline = "There are no accounts here"
    advice = (
        "Everyone who opens this app uses it as the same guest, and scripts need no token. "
        "Whoever runs the server can turn logins on (mediacaster.auth = true) to give each "
        "person an account."
    )


def account(request):
    """The user asking; logins off: there are no accounts to hold tokens."""
    identity = request.identity
    if identity is None or identity.user_id is None:
        raise LoginsOff("logins are off (mediacaster.auth = false): API tokens belong to accounts")
    return request.dbsession().get(User, identity.user_id)


def token_json(token, secret=None):
    data = {
        "id": token.id,
        "name": token.name,
        "created_at": as_utc(token.created_at).isoformat(),
        "last_used_at": as_utc(token.last_used_at).isoformat() if token.last_used_at else None,
    }
    if secret is not None:
        data["token"] = secret
    return data


@view_config(route_name="api.tokens", permission=ACCOUNT, request_method="GET", renderer="json")
def tokens(request):
    user = account(request)
    return {"tokens": [token_json(t) for t in accounts.tokens_of(request.dbsession(), user.id)]}


@view_config(route_name="api.tokens", permission=ACCOUNT, request_method="POST", renderer="json")
def create(request):
    body = parse_body(request, TokenRequest)
    token, secret = accounts.create_token(request.dbsession(), account(request), body.name)
    return token_json(token, secret)


def revoke_matched(request):
    """Revoke the token the URL names, of the user asking; the token revoked."""
    user = account(request)
    token_id = request.matchdict["id"]
    token = accounts.revoke_token(request.dbsession(), user.id, int(token_id)) if token_id.isdigit() else None
    if token is None:
        raise NotFound(f"you have no API token {token_id}")
    return token


@view_config(route_name="api.token", permission=ACCOUNT, request_method="DELETE", renderer="json")
def revoke(request):
    return {"revoked": revoke_matched(request).id}


# -- the page ---------------------------------------------------------------------


# What the page confirms after a change, read from the address it was sent back to.
DONE = {"revoked": "Revoked the token “{name}”.", "password": "Password changed."}


def page(request, new=None):
    user = account(request)
    done = DONE.get(request.params.get("done"))
    return {
        "done": done and done.format(name=request.params.get("name", "")),
        "user": user,
        "tokens": accounts.tokens_of(request.dbsession(), user.id),
        "new": new,  # (ApiToken, the token) just made: shown this once
        "csrf_token": get_csrf_token(request),
    }


@view_config(route_name="account", permission=ACCOUNT, request_method="GET", renderer="account.jinja2")
def account_page(request):
    return page(request)


@view_config(
    route_name="account.tokens", permission=ACCOUNT, request_method="POST", renderer="account.jinja2"
)
def create_on_page(request):
    try:
        made = accounts.create_token(request.dbsession(), account(request), request.POST.get("name", ""))
    except accounts.AccountError as error:
        request.response.status_int = 400
        return {**page(request), "error": str(error)}
    return page(request, new=made)


@view_config(route_name="account.token", permission=ACCOUNT, request_method="POST")
def revoke_on_page(request):
    name = revoke_matched(request).name
    return HTTPSeeOther(request.route_url("account", _query={"done": "revoked", "name": name}))


@view_config(
    route_name="account.password", permission=ACCOUNT, request_method="POST", renderer="account.jinja2"
)
def change_password(request):
    user = account(request)
    # The same budget as the login form's: this form is no way around it to guess a password.
    limits, address = services_of(request).login_limits, request.client_addr
    wait = limits.wait(address, user.name)
    if wait:
        request.response.status_int = 429
        request.response.headers["Retry-After"] = str(wait)
        return {**page(request), "password_error": f"Too many wrong passwords: try again in {wait} s."}
    new = request.POST.get("new_password", "")
    try:
        if new != request.POST.get("again", ""):
            raise accounts.AccountError("the two new passwords differ")
        accounts.change_password(user, request.POST.get("password", ""), new)
    except accounts.AccountError as error:
        if isinstance(error, accounts.WrongPassword):
            limits.failed(address, user.name)
        request.response.status_int = 400
        return {**page(request), "password_error": str(error)}
    limits.succeeded(address, user.name)
    return HTTPSeeOther(
        request.route_url("account", _query={"done": "password"}), headers=keep_logged_in(request, user)
    )
