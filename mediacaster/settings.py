"""Read, convert and validate the ``mediacaster.*`` settings.

Every setting comes from the ini file and can be overridden by an environment
variable. A bad value raises :class:`SettingsError` with one line that names
the setting and the value, so startup fails with a message a person can act on.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEMO_LIBRARY = Path(__file__).parent / "demo"
ROOT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class SettingsError(ValueError):
    """A setting has a value the app cannot run with."""


@dataclass(frozen=True)
class Settings:
    roots: dict = field(default_factory=dict)  # name -> absolute Path
    demo: bool = False  # True when the roots are the bundled demo library
    redis_url: str | None = None  # None: start an embedded Redis
    data_dir: Path = Path("data")
    secret: str = ""
    session_timeout: int = 30 * 24 * 3600
    cookie_secure: bool = False
    rescan_interval: float = 60.0
    page_size: int = 500
    require_signed_media: bool = False
    signed_url_ttl: int = 24 * 3600
    accel_redirect: str = ""  # nginx internal location prefix, "" to stream from the app
    discovery: bool = True
    known_hosts: tuple = ()
    discovery_interfaces: tuple = ()  # addresses zeroconf listens on; () for all
    public_url: str = ""  # base URL devices fetch media from; "" for the connection's own address
    ffmpeg_dir: str = ""  # where ffprobe and ffmpeg are; "" for the PATH


def _bool(value):
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def _positive_int(value):
    number = int(str(value).strip())
    if number <= 0:
        raise ValueError("expected a whole number above 0")
    return number


def _positive_float(value):
    number = float(str(value).strip())
    if not number > 0:
        raise ValueError("expected a number above 0")
    return number


def parse_roots(value):
    """Parse ``name=/path`` pairs separated by ``;`` or new lines."""
    roots = {}
    for item in re.split(r"[;\n]", value or ""):
        item = item.strip()
        if not item:
            continue
        name, sep, path = item.partition("=")
        name, path = name.strip(), path.strip()
        if not sep or not path:
            raise ValueError(f"{item!r} is not of the form name=/path/to/folder")
        if not ROOT_NAME.match(name):
            raise ValueError(f"root name {name!r} may only hold letters, digits, - and _")
        if name in roots:
            raise ValueError(f"root name {name!r} is given twice")
        folder = Path(path).expanduser()
        if not folder.is_absolute():
            raise ValueError(f"folder {path!r} of root {name!r} is not an absolute path")
        if not folder.is_dir():
            raise ValueError(f"folder {path} of root {name!r} does not exist")
        if not os.access(folder, os.R_OK | os.X_OK):
            raise ValueError(f"folder {path} of root {name!r} is not readable")
        roots[name] = Path(os.path.realpath(folder))
    return roots


def parse_port(value):
    try:
        port = int(str(value).strip())
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise ValueError("expected a port number from 1 to 65535")
    return port


def parse_accel_prefix(value):
    value = str(value).strip().rstrip("/")
    if value and (not value.startswith("/") or any(c in value for c in " ?#\\")):
        raise ValueError("expected an nginx location path such as /_media")
    return value


def parse_hosts(value):
    hosts = tuple(h.strip() for h in re.split(r"[,\s]+", str(value)) if h.strip())
    for host in hosts:
        if not re.match(r"^[A-Za-z0-9.:-]+$", host):
            raise ValueError(f"{host!r} is not an address or host name")
    return hosts


def parse_public_url(value):
    value = str(value).strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(
            "expected a base URL such as http://192.168.1.10:6543 or https://nas.example/mediacenter"
        )
    return value


def parse_redis_url(value):
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ValueError("expected redis://host:port/db, rediss://… or unix:///path")
    if parts.scheme != "unix" and not parts.hostname:
        raise ValueError("the URL names no host")
    try:
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError as error:
        raise ValueError(f"bad port: {error}") from None
    return value


# (setting, environment variable, converter, default); the default applies when
# neither the ini file nor the environment gives a value.
SPECS = [
    ("mediacaster.roots", "MEDIACASTER_ROOTS", parse_roots, {}),
    ("mediacaster.demo_library", "MEDIACASTER_DEMO_LIBRARY", _bool, False),
    ("redis.url", "REDIS_URL", parse_redis_url, None),
    ("mediacaster.data_dir", "MEDIACASTER_DATA_DIR", str, "data"),
    ("mediacaster.secret", "MEDIACASTER_SECRET", str, ""),
    ("mediacaster.session_timeout", "MEDIACASTER_SESSION_TIMEOUT", _positive_int, 30 * 24 * 3600),
    ("mediacaster.cookie_secure", "MEDIACASTER_COOKIE_SECURE", _bool, False),
    ("mediacaster.rescan_interval", "MEDIACASTER_RESCAN_INTERVAL", _positive_float, 60.0),
    ("mediacaster.page_size", "MEDIACASTER_PAGE_SIZE", _positive_int, 500),
    ("mediacaster.require_signed_media", "MEDIACASTER_REQUIRE_SIGNED_MEDIA", _bool, False),
    ("mediacaster.signed_url_ttl", "MEDIACASTER_SIGNED_URL_TTL", _positive_int, 24 * 3600),
    ("mediacaster.accel_redirect", "MEDIACASTER_ACCEL_REDIRECT", parse_accel_prefix, ""),
    ("mediacaster.discovery", "MEDIACASTER_DISCOVERY", _bool, True),
    ("mediacaster.known_hosts", "MEDIACASTER_KNOWN_HOSTS", parse_hosts, ()),
    ("mediacaster.discovery_interfaces", "MEDIACASTER_DISCOVERY_INTERFACES", parse_hosts, ()),
    ("mediacaster.public_url", "MEDIACASTER_PUBLIC_URL", parse_public_url, ""),
    ("mediacaster.ffmpeg_dir", "MEDIACASTER_FFMPEG_DIR", str, ""),
]


def _raw_values(settings, environ):
    for key, env, convert, default in SPECS:
        if env in environ:
            yield key, env, convert, default, environ[env], f"{env} (environment)"
        elif key in settings:
            yield key, env, convert, default, settings[key], key
        else:
            yield key, env, convert, default, None, key


def load(settings, environ=None):
    """Build :class:`Settings` from ini ``settings`` and ``environ``."""
    environ = os.environ if environ is None else environ
    values = {}
    for key, _env, convert, default, raw, source in _raw_values(settings, environ):
        if raw is None:
            values[key] = default
            continue
        try:
            values[key] = convert(raw)
        except ValueError as error:
            raise SettingsError(f"{source} = {str(raw).strip()!r}: {error}") from None

    # The listen port belongs to the server section, but a bad PORT should stop
    # startup as early and as clearly as any other setting.
    if environ.get("PORT"):
        try:
            parse_port(environ["PORT"])
        except ValueError as error:
            raise SettingsError(f"PORT (environment) = {environ['PORT']!r}: {error}") from None

    roots = values["mediacaster.roots"]
    demo = False
    if not roots:
        if not values["mediacaster.demo_library"]:
            raise SettingsError(
                "mediacaster.roots is empty: set MEDIACASTER_ROOTS, "
                "for example 'video=/srv/video;audio=/srv/music'"
            )
        roots = {p.name: p for p in sorted(DEMO_LIBRARY.iterdir()) if p.is_dir()}
        demo = True

    secret = values["mediacaster.secret"].strip()
    if len(secret) < 16:
        raise SettingsError(
            "mediacaster.secret must be at least 16 characters: set MEDIACASTER_SECRET "
            "to a long random string"
        )

    return Settings(
        roots=roots,
        demo=demo,
        redis_url=values["redis.url"],
        data_dir=Path(values["mediacaster.data_dir"]).expanduser().absolute(),
        secret=secret,
        session_timeout=values["mediacaster.session_timeout"],
        cookie_secure=values["mediacaster.cookie_secure"],
        rescan_interval=values["mediacaster.rescan_interval"],
        page_size=values["mediacaster.page_size"],
        require_signed_media=values["mediacaster.require_signed_media"],
        signed_url_ttl=values["mediacaster.signed_url_ttl"],
        accel_redirect=values["mediacaster.accel_redirect"],
        discovery=values["mediacaster.discovery"],
        known_hosts=values["mediacaster.known_hosts"],
        discovery_interfaces=values["mediacaster.discovery_interfaces"],
        public_url=values["mediacaster.public_url"],
        ffmpeg_dir=values["mediacaster.ffmpeg_dir"].strip(),
    )
