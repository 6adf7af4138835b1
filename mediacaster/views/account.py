"""One's own account: the API tokens scripts send (made, listed, revoked)."""

from pyramid.view import view_config

from mediacaster import apispec
from mediacaster.errors import Conflict, NotFound
from mediacaster.models.accounts import User, as_utc
from mediacaster.security import ACCOUNT
from mediacaster.services import accounts
from mediacaster.views.inputs import parse_body


def account(request):
    """The user asking; logins off: there are no accounts to hold tokens."""
    identity = request.identity
    if identity is None or identity.user_id is None:
        raise Conflict("logins are off (mediacaster.auth = false): API tokens belong to accounts")
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
    body = parse_body(request, apispec.TokenRequest)
    token, secret = accounts.create_token(request.dbsession(), account(request), body.name)
    return token_json(token, secret)


@view_config(route_name="api.token", permission=ACCOUNT, request_method="DELETE", renderer="json")
def revoke(request):
    user = account(request)
    token_id = request.matchdict["id"]
    if not token_id.isdigit() or not accounts.revoke_token(request.dbsession(), user.id, int(token_id)):
        raise NotFound(f"you have no API token {token_id}")
    return {"revoked": int(token_id)}
