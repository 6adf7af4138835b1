"""What this browser session holds, as a page and as JSON, and clearing it."""

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from mediacaster.session import clear, session_summary


@view_config(
    route_name="session.show",
    permission=NO_PERMISSION_REQUIRED,
    request_method="GET",
    renderer="session.jinja2",
)
@view_config(
    route_name="api.session", permission=NO_PERMISSION_REQUIRED, request_method="GET", renderer="json"
)
def show(request):
    return session_summary(request)


@view_config(route_name="session.clear", permission=NO_PERMISSION_REQUIRED, request_method="POST")
def clear_page(request):
    clear(request.session)
    return HTTPSeeOther(request.route_url("session.show"))


@view_config(
    route_name="api.session", permission=NO_PERMISSION_REQUIRED, request_method="DELETE", renderer="json"
)
def clear_api(request):
    clear(request.session)
    return {"device": None, "recent": []}
