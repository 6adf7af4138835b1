"""The first run: with logins on and no account yet, the first administrator is made
here, from a browser on this machine or from anywhere with the setup token the app
logged at startup (a NAS is often reached only over the network)."""

import ipaddress

from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED, remember
from pyramid.view import view_config

from mediacaster.errors import Forbidden, NotFound
from mediacaster.lifecycle import services_of
from mediacaster.services.accounts import AccountError

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def on_this_machine(request):
    """Asked from this machine, by its loopback name: a reverse proxy on the same machine
    (its requests come from loopback too) passes on the name the browser used instead."""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    return address.is_loopback and host.lower() in LOOPBACK_HOSTS


def first_run(request):
    """The first-run service, when this request may use it."""
    if not request.registry.app_settings.auth:
        raise NotFound("logins are off (mediacaster.auth = false): there is no account to set up")
    first_run = services_of(request).first_run
    if not (on_this_machine(request) or first_run.token_matches(request.params.get("token", ""))):
        raise Forbidden(
            "the setup page opens in a browser on the machine mediacaster runs on, or anywhere "
            "with the setup token from its log: /setup?token=…"
        )
    return first_run


def form(request, name="", error=None):
    return {
        "name": name,
        "error": error,
        "token": request.params.get("token", ""),
        "csrf_token": get_csrf_token(request),
    }


@view_config(
    route_name="setup", request_method="GET", renderer="setup.jinja2", permission=NO_PERMISSION_REQUIRED
)
def setup_page(request):
    if not first_run(request).pending():
        return HTTPSeeOther(request.route_url("login"))
    return form(request)


@view_config(
    route_name="setup", request_method="POST", renderer="setup.jinja2", permission=NO_PERMISSION_REQUIRED
)
def setup(request):
    service = first_run(request)
    name, password = request.POST.get("name", ""), request.POST.get("password", "")
    try:
        if password != request.POST.get("password_again", ""):
            raise AccountError("the two passwords differ")
        user_id = service.make_admin(name, password)
    except AccountError as error:
        request.response.status_int = 400
        return form(request, name, f"{str(error)[:1].upper()}{str(error)[1:]}.")
    return HTTPSeeOther(request.route_url("home"), headers=remember(request, user_id))
