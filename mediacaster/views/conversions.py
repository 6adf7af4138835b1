"""``GET /api/conversions``: the conversion workers and what they run, for administrators."""

from pyramid.view import view_config

from mediacaster.lifecycle import services_of
from mediacaster.security import ADMINISTER


@view_config(route_name="api.conversions", permission=ADMINISTER, request_method="GET", renderer="json")
def conversions(request):
    request.response.cache_control = "no-store"
    return services_of(request).conversion.overview()
