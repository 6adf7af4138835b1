"""Logging in and out, for people; scripts send an API token instead."""

from urllib.parse import urlsplit

from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from pyramid.view import view_config

from mediacaster.lifecycle import services_of
from mediacaster.services import accounts


def next_page(request):
    """Where to go after logging in: a path of this app, never another site."""
    target = request.params.get("next") or ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return request.route_url("home")
    return request.application_url + target


def form(request, name="", error=None):
    return {
        "name": name,
        "error": error,
        "next": request.params.get("next", ""),
        "csrf_token": get_csrf_token(request),
    }


@view_config(
    route_name="login", request_method="GET", renderer="login.jinja2", permission=NO_PERMISSION_REQUIRED
)
def login_page(request):
    services = services_of(request)
    if request.registry.app_settings.auth and not services.database.reachable():
        return unavailable(request, "10", DATABASE_DOWN)
    if request.registry.app_settings.auth and services.first_run.pending():
        return HTTPSeeOther(request.route_url("setup"))  # nobody to log in as yet
    if request.registry.app_settings.auth and not services.store.reachable():
        return unavailable(request, "5", STORE_DOWN)
    return form(request)


STORE_DOWN = "Logging in is not possible for a moment: try again in a few seconds."
DATABASE_DOWN = (
    "Logging in does not work right now: the app cannot reach its database. "
    "It reconnects by itself; try again in a minute."
)


def unavailable(request, retry_after, why):
    """The form with ``why`` over it, answered 503."""
    request.response.status_int = 503
    request.response.headers["Retry-After"] = retry_after
    return form(request, error=why)


@view_config(
    route_name="login", request_method="POST", renderer="login.jinja2", permission=NO_PERMISSION_REQUIRED
)
def login(request):
    name, password = request.POST.get("name", ""), request.POST.get("password", "")
    limits, address = services_of(request).login_limits, request.client_addr
    wait = limits.wait(address, name)
    if wait:
        request.response.status_int = 429
        request.response.headers["Retry-After"] = str(wait)
        return form(request, name, f"Too many failed logins: try again in {wait} s.")
    user = accounts.verify(request.dbsession(), name, password)
    if user is None:
        limits.failed(address, name)
        request.response.status_int = 400
        return form(request, name, "Wrong name or password.")
    limits.succeeded(address, name)
    return HTTPSeeOther(next_page(request), headers=remember(request, user.id))


@view_config(route_name="logout", request_method="POST", permission=NO_PERMISSION_REQUIRED)
def logout(request):
    return HTTPSeeOther(request.route_url("login"), headers=forget(request))
