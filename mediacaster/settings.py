"""Read, convert and validate the ``mediacaster.*`` settings.

Every setting comes from the ini file and can be overridden by an environment
variable. A bad value raises :class:`SettingsError` with one line that names
the setting and the value, so startup fails with a message a person can act on.
Each setting is declared once, as a field of :class:`Settings` that names its
ini key, its environment variable, its parser and its default.
"""

import os
import pwd
import re
import tempfile
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

DEMO_LIBRARY = Path(__file__).parent / "demo"
ROOT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class SettingsError(ValueError):
    """A setting has a value the app cannot run with."""


def parse_bool(value):
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def parse_cookie_secure(value):
    """``auto`` (or empty): None, the request's scheme decides; otherwise true or false."""
    text = str(value).strip().lower()
    if text in ("auto", ""):
        return None
    try:
        return parse_bool(text)
    except ValueError:
        raise ValueError("expected auto (Secure over HTTPS only), true or false") from None


def positive_int(value):
    number = int(str(value).strip())
    if number <= 0:
        raise ValueError("expected a whole number above 0")
    return number


def positive_float(value):
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
        problem = _unreadable(folder)
        if problem:
            raise ValueError(f"folder {path} of root {name!r} {problem}")
        roots[name] = Path(os.path.realpath(folder))
    return roots


def _unreadable(folder):
    """Why the app's user cannot list ``folder``, or None when it can."""
    try:
        if not folder.is_dir():
            return "does not exist" if not folder.exists() else "is not a folder"
        os.scandir(folder).close()  # opened as a listing would be, without reading it
    except PermissionError:
        return f"is not readable by the user the app runs as ({_user()})"
    except OSError as error:
        return f"cannot be read: {error.strerror}"
    return None


def _user():
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"


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


def parse_allowed_hosts(value):
    hosts = tuple(h.strip() for h in re.split(r"[,\s]+", str(value)) if h.strip())
    for host in hosts:
        if host != "*" and not re.match(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.:-]+)$", host):
            raise ValueError(f"{host!r} is not a host name, an address or *")
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


def parse_folder(value):
    return Path(str(value).strip() or ".").expanduser().absolute()


def parse_text(value):
    return str(value).strip()


VIDEO_ENCODERS = ("software", "vaapi", "qsv", "nvenc")


def parse_encoder(value):
    text = str(value).strip().lower()
    if text not in VIDEO_ENCODERS:
        raise ValueError(f"expected one of {', '.join(VIDEO_ENCODERS)}")
    return text


CONVERSION_BACKENDS = ("local", "celery")


def parse_backend(value):
    text = str(value).strip().lower()
    if text not in CONVERSION_BACKENDS:
        raise ValueError("expected local (ffmpeg on this machine) or celery (on worker machines)")
    return text


def parse_path_map(value):
    """``app_path=worker_path`` pairs separated by ``;`` or new lines: where a worker
    machine sees the app's folders (the roots, the segment cache); longest first."""
    pairs = []
    for item in re.split(r"[;\n]", value or ""):
        item = item.strip()
        if not item:
            continue
        app_path, sep, worker_path = (part.strip() for part in item.partition("="))
        if not sep or not app_path.startswith("/") or not worker_path.startswith("/"):
            raise ValueError(f"{item!r} is not of the form /app/path=/worker/path")
        pairs.append((app_path.rstrip("/") or "/", worker_path.rstrip("/") or "/"))
    return tuple(sorted(pairs, key=lambda pair: len(pair[0]), reverse=True))


def parse_database_url(value):
    """An SQLAlchemy URL (``postgresql+psycopg://…``, ``sqlite:///…``), or "" for the default."""
    text = str(value or "").strip()
    if text and not re.match(r"^[a-z][a-z0-9+]*://", text):
        raise ValueError("expected a database URL such as postgresql+psycopg://user:password@host/name")
    if text.startswith("postgresql://"):
        text = "postgresql+psycopg://" + text[len("postgresql://") :]  # the driver installed
    return text


def parse_migrate(value):
    text = str(value).strip().lower()
    if text not in ("auto", "refuse"):
        raise ValueError("expected auto (bring the schema up to date at startup) or refuse")
    return text


def writable_folder(folder):
    """Make the data folder ``folder`` when missing and check that the app can write in it;
    :class:`SettingsError` saying what to do when not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as error:
        what = "is not writable" if os.path.isdir(folder) else "cannot be created"
        raise SettingsError(
            f"data folder {folder} {what} ({error.strerror}) for the user the app runs as ({_user()}): "
            "set MEDIACASTER_DATA_DIR (mediacaster.data_dir) to a folder that user can write"
        ) from None
    return folder


def setting(key, env, parse, default):
    """A field read from ini ``key`` or environment variable ``env`` through ``parse``."""
    meta = {"key": key, "env": env, "parse": parse}
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Settings:
    roots: dict = setting("mediacaster.roots", "MEDIACASTER_ROOTS", parse_roots, {})  # name -> Path
    demo_library: bool = setting("mediacaster.demo_library", "MEDIACASTER_DEMO_LIBRARY", parse_bool, False)
    redis_url: str | None = setting("redis.url", "REDIS_URL", parse_redis_url, None)  # None: embedded
    data_dir: Path = setting("mediacaster.data_dir", "MEDIACASTER_DATA_DIR", parse_folder, Path("data"))
    secret: str = setting("mediacaster.secret", "MEDIACASTER_SECRET", parse_text, "")
    session_timeout: int = setting(
        "mediacaster.session_timeout", "MEDIACASTER_SESSION_TIMEOUT", positive_int, 30 * 24 * 3600
    )
    # the session and CSRF cookies' Secure flag; None (auto): set on HTTPS requests, nginx's included
    cookie_secure: bool | None = setting(
        "mediacaster.cookie_secure", "MEDIACASTER_COOKIE_SECURE", parse_cookie_secure, None
    )
    rescan_interval: float = setting(
        "mediacaster.rescan_interval", "MEDIACASTER_RESCAN_INTERVAL", positive_float, 60.0
    )
    page_size: int = setting("mediacaster.page_size", "MEDIACASTER_PAGE_SIZE", positive_int, 500)
    require_signed_media: bool = setting(
        "mediacaster.require_signed_media", "MEDIACASTER_REQUIRE_SIGNED_MEDIA", parse_bool, False
    )
    signed_url_ttl: int = setting(
        "mediacaster.signed_url_ttl", "MEDIACASTER_SIGNED_URL_TTL", positive_int, 24 * 3600
    )
    # nginx internal location prefix; "" to stream from the app
    accel_redirect: str = setting(
        "mediacaster.accel_redirect", "MEDIACASTER_ACCEL_REDIRECT", parse_accel_prefix, ""
    )
    discovery: bool = setting("mediacaster.discovery", "MEDIACASTER_DISCOVERY", parse_bool, True)
    known_hosts: tuple = setting("mediacaster.known_hosts", "MEDIACASTER_KNOWN_HOSTS", parse_hosts, ())
    # addresses zeroconf listens on; () for all
    discovery_interfaces: tuple = setting(
        "mediacaster.discovery_interfaces", "MEDIACASTER_DISCOVERY_INTERFACES", parse_hosts, ()
    )
    # base URL devices fetch media from; "" for the connection's own address
    public_url: str = setting("mediacaster.public_url", "MEDIACASTER_PUBLIC_URL", parse_public_url, "")
    # names the app answers to; empty: this machine's names and addresses (mediacaster.hosts)
    allowed_hosts: tuple = setting(
        "mediacaster.allowed_hosts", "MEDIACASTER_ALLOWED_HOSTS", parse_allowed_hosts, ()
    )
    ffmpeg_dir: str = setting("mediacaster.ffmpeg_dir", "MEDIACASTER_FFMPEG_DIR", parse_text, "")  # "": PATH
    # budget of the disk cache of subtitles and pictures, under data_dir/cache
    cache_max_mb: int = setting("mediacaster.cache_max_mb", "MEDIACASTER_CACHE_MAX_MB", positive_int, 1024)
    # conversion into HLS segments (mediacaster.services.conversion)
    max_conversions: int = setting(
        "mediacaster.max_conversions", "MEDIACASTER_MAX_CONVERSIONS", positive_int, os.cpu_count() or 2
    )
    conversion_idle_timeout: float = setting(
        "mediacaster.conversion_idle_timeout", "MEDIACASTER_CONVERSION_IDLE_TIMEOUT", positive_float, 60.0
    )
    # budget and age limit of the cache of converted segments, under data_dir/cache/hls
    conversion_cache_mb: int = setting(
        "mediacaster.conversion_cache_mb", "MEDIACASTER_CONVERSION_CACHE_MB", positive_int, 20480
    )
    conversion_cache_days: float = setting(
        "mediacaster.conversion_cache_days", "MEDIACASTER_CONVERSION_CACHE_DAYS", positive_float, 7.0
    )
    # seek previews (pictures over the seek bar), made by ffmpeg at a low priority when a video
    # is first played, and the budget of their cache, under data_dir/cache/previews
    previews: bool = setting("mediacaster.previews", "MEDIACASTER_PREVIEWS", parse_bool, True)
    previews_cache_mb: int = setting(
        "mediacaster.previews_cache_mb", "MEDIACASTER_PREVIEWS_CACHE_MB", positive_int, 1024
    )
    # how often, in seconds, the latest videos' previews are made while no conversion runs
    previews_idle_interval: float = setting(
        "mediacaster.previews_idle_interval", "MEDIACASTER_PREVIEWS_IDLE_INTERVAL", positive_float, 600.0
    )
    # how often the position of what plays on a device is saved, in seconds
    progress_interval: float = setting(
        "mediacaster.progress_interval", "MEDIACASTER_PROGRESS_INTERVAL", positive_float, 10.0
    )
    # on: every page and API call needs a login or an API token; off: everyone is the demo admin.
    auth: bool = setting("mediacaster.auth", "MEDIACASTER_AUTH", parse_bool, True)
    # auth off is a mistake unless said so: the demo says so, production does not
    allow_auth_off: bool = setting(
        "mediacaster.allow_auth_off", "MEDIACASTER_ALLOW_AUTH_OFF", parse_bool, False
    )
    # Accounts and other durable user data: SQLite in data_dir unless a URL is given.
    database_url: str = setting("mediacaster.database_url", "DATABASE_URL", parse_database_url, "")
    migrate: str = setting("mediacaster.migrate", "MEDIACASTER_MIGRATE", parse_migrate, "auto")
    # seconds a request waits on the database at most: to connect, for a statement
    # (PostgreSQL), for another writer's lock (SQLite); then it answers 503
    database_timeout: float = setting(
        "mediacaster.database_timeout", "MEDIACASTER_DATABASE_TIMEOUT", positive_float, 5.0
    )
    video_encoder: str = setting(
        "mediacaster.video_encoder", "MEDIACASTER_VIDEO_ENCODER", parse_encoder, "software"
    )
    # Where ffmpeg runs: here, or on worker machines through Celery (mediacaster/worker.py),
    # with broker_url (empty: the app's Redis) as the broker; without a live worker, here
    # when conversion_fallback_local, else 503 conversion_unavailable.
    conversion_backend: str = setting(
        "mediacaster.conversion_backend", "MEDIACASTER_CONVERSION_BACKEND", parse_backend, "local"
    )
    broker_url: str | None = setting(
        "mediacaster.broker_url", "MEDIACASTER_BROKER_URL", parse_redis_url, None
    )
    conversion_fallback_local: bool = setting(
        "mediacaster.conversion_fallback_local", "MEDIACASTER_CONVERSION_FALLBACK_LOCAL", parse_bool, True
    )
    # The catalogue (films, shows, music, photos): scanned in the background, followed with
    # watchdog, and scanned again every catalogue_rescan_interval seconds for NFS and SMB.
    catalogue: bool = setting("mediacaster.catalogue", "MEDIACASTER_CATALOGUE", parse_bool, True)
    catalogue_rescan_interval: float = setting(
        "mediacaster.catalogue_rescan_interval",
        "MEDIACASTER_CATALOGUE_RESCAN_INTERVAL",
        positive_float,
        600.0,
    )
    demo: bool = False  # derived: the roots are the bundled demo library


def declared(cls=None):
    """The fields that are settings, in order."""
    return [f for f in fields(cls or Settings) if "key" in f.metadata]


def _read(cls, settings, environ):
    """The values of ``cls``'s settings given in ini ``settings`` or ``environ``, parsed."""
    values = {}
    for spec in declared(cls):
        key, env, parse = spec.metadata["key"], spec.metadata["env"], spec.metadata["parse"]
        if env in environ:
            raw, source = environ[env], f"{env} (environment)"
        elif key in settings:
            raw, source = settings[key], key
        else:
            continue
        try:
            values[spec.name] = parse(raw)
        except ValueError as error:
            raise SettingsError(f"{source} = {str(raw).strip()!r}: {error}") from None
    return values


def load(settings, environ=None):
    """Build :class:`Settings` from ini ``settings`` and ``environ``."""
    environ = os.environ if environ is None else environ
    values = _read(Settings, settings, environ)
    # The listen port belongs to the server section, but a bad PORT should stop
    # startup as early and as clearly as any other setting.
    if environ.get("PORT"):
        try:
            parse_port(environ["PORT"])
        except ValueError as error:
            raise SettingsError(f"PORT (environment) = {environ['PORT']!r}: {error}") from None

    result = Settings(**values)
    result = replace(result, data_dir=result.data_dir.absolute())
    if not result.roots:
        if not result.demo_library:
            raise SettingsError(
                "mediacaster.roots is empty: set MEDIACASTER_ROOTS, "
                "for example 'video=/srv/video;audio=/srv/music'"
            )
        demo_roots = {p.name: p for p in sorted(DEMO_LIBRARY.iterdir()) if p.is_dir()}
        result = replace(result, roots=demo_roots, demo=True)
    if not result.auth and not result.allow_auth_off:
        raise SettingsError(
            "mediacaster.auth is off, so anyone who reaches the app could browse every root and "
            "use the TVs: turn it on (MEDIACASTER_AUTH=true), or set MEDIACASTER_ALLOW_AUTH_OFF=true "
            "to run without logins on purpose"
        )
    if len(result.secret) < 16:
        raise SettingsError(
            "mediacaster.secret must be at least 16 characters: set MEDIACASTER_SECRET "
            "to a long random string"
        )
    return result


@dataclass(frozen=True)
class WorkerSettings:
    """A conversion worker's settings (``mediacaster-worker -c worker.ini``, section ``[worker]``)."""

    broker_url: str | None = setting(
        "mediacaster.broker_url", "MEDIACASTER_BROKER_URL", parse_redis_url, None
    )
    ffmpeg_dir: str = setting("mediacaster.ffmpeg_dir", "MEDIACASTER_FFMPEG_DIR", parse_text, "")
    encoder: str = setting("worker.encoder", "MEDIACASTER_WORKER_ENCODER", parse_encoder, "software")
    slots: int = setting("worker.slots", "MEDIACASTER_WORKER_SLOTS", positive_int, 1)
    paths: tuple = setting("worker.paths", "MEDIACASTER_WORKER_PATHS", parse_path_map, ())
    name: str = setting("worker.name", "MEDIACASTER_WORKER_NAME", parse_text, "")  # "": the host's name


def load_worker(settings, environ=None):
    """Build :class:`WorkerSettings`; :class:`SettingsError` when a mapped folder is missing."""
    environ = os.environ if environ is None else environ
    result = WorkerSettings(**_read(WorkerSettings, settings, environ))
    if not result.broker_url:
        raise SettingsError(
            "mediacaster.broker_url is empty: set MEDIACASTER_BROKER_URL to the app's Redis, "
            "for example redis://nas:6379/1"
        )
    for app_path, worker_path in result.paths:
        problem = _unreadable(Path(worker_path))
        if problem:
            raise SettingsError(
                f"worker.paths: {worker_path} (the app's {app_path}) {problem} on this machine: "
                "mount the share there or fix the mapping"
            )
    return result
