"""What this browser session holds, as a page and as JSON."""

from pyramid.view import view_config

from mediacaster.session import session_summary


@view_config(route_name="session.show", request_method="GET", renderer="session.jinja2")
@view_config(route_name="api.session", request_method="GET", renderer="json")
def show(request):
    return session_summary(request.session)
