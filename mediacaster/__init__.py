"""mediacaster: browse a NAS media library in the browser and cast it to a TV."""

from pyramid.config import Configurator

from mediacaster.server import ServerOptionError, check_listen
from mediacaster.settings import SettingsError, load
from mediacaster.templating import JINJA2_SETTINGS


def main(global_config, **settings):
    """Build the WSGI application and start its services; invalid settings stop it
    with one clear line. ``app.registry.services.close()`` stops everything it started."""
    services = None
    try:
        app_settings = load(settings)
        check_listen(global_config)
        with Configurator(settings={**JINJA2_SETTINGS, **settings}) as config:
            config.registry.app_settings = app_settings
            config.include(".request")
            config.include(".lifecycle")
            services = config.registry.services
            config.include(".models")
            config.include(".security")
            config.include(".templating")
            config.include(".session")
            config.include(".crossorigin")
            config.include(".views.errors")
            config.include(".urls")
            config.include(".bytenames")
            config.include(".hosts")
            config.include(".routes")
            config.scan(".views")
        app = config.make_wsgi_app()
        services.start()
    except BaseException as error:
        if services is not None:
            services.close()
        if isinstance(error, SettingsError):
            raise SystemExit(f"mediacaster: invalid setting: {error}") from None
        if isinstance(error, ServerOptionError):
            raise SystemExit(str(error)) from None
        raise
    return app
