import pytest

from mediacaster.settings import DEMO_LIBRARY, SettingsError, declared, load, parse_roots
from tests.common.app import REPO, SECRET


def test_roots_are_named_folders(tmp_path):
    (tmp_path / "v").mkdir()
    (tmp_path / "a").mkdir()
    roots = parse_roots(f"video={tmp_path / 'v'};\n audio = {tmp_path / 'a'}\n")
    assert roots == {"video": tmp_path / "v", "audio": tmp_path / "a"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("video", "is not of the form name=/path"),
        ("video=", "is not of the form name=/path"),
        ("vi deo=/tmp", "may only hold letters"),
        ("video=relative/path", "not an absolute path"),
        ("video=/does/not/exist", "does not exist"),
        ("video=/tmp;video=/tmp", "is given twice"),
    ],
)
def test_bad_roots_are_refused(value, message):
    with pytest.raises(ValueError, match=message):
        parse_roots(value)


def test_cast_settings(tmp_path):
    settings = load(
        {"mediacaster.roots": f"v={tmp_path}", "mediacaster.secret": SECRET},
        {"MEDIACASTER_KNOWN_HOSTS": "192.168.1.5, 192.168.1.6", "MEDIACASTER_PUBLIC_URL": "http://nas:6543/"},
    )
    assert settings.known_hosts == ("192.168.1.5", "192.168.1.6")
    assert settings.public_url == "http://nas:6543"
    assert settings.discovery is True


def test_environment_overrides_the_ini(tmp_path):
    settings = load(
        {"mediacaster.roots": "nope=/does/not/exist", "mediacaster.secret": SECRET},
        {"MEDIACASTER_ROOTS": f"music={tmp_path}", "MEDIACASTER_PAGE_SIZE": "25"},
    )
    assert settings.roots == {"music": tmp_path}
    assert settings.page_size == 25


def test_an_error_names_the_setting_and_the_value():
    with pytest.raises(SettingsError) as error:
        load({"mediacaster.secret": SECRET}, {"MEDIACASTER_ROOTS": "video=/nowhere"})
    assert str(error.value) == (
        "MEDIACASTER_ROOTS (environment) = 'video=/nowhere': folder /nowhere of root 'video' does not exist"
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("redis.url", "http://localhost"),
        ("redis.url", "redis://"),
        ("redis.url", "redis://host:99999/0"),
        ("mediacaster.page_size", "0"),
        ("mediacaster.cookie_secure", "perhaps"),
        ("mediacaster.rescan_interval", "soon"),
        ("mediacaster.public_url", "ftp://nas/"),
        ("mediacaster.public_url", "http://nas:6543/?x=1"),
        ("mediacaster.known_hosts", "192.168.1.5;rm -rf"),
        ("mediacaster.accel_redirect", "_media"),
        ("mediacaster.allowed_hosts", "nas.example, evil/path"),
    ],
)
def test_bad_values_fail(tmp_path, key, value):
    with pytest.raises(SettingsError, match=f"^{key} = "):
        load({"mediacaster.roots": f"v={tmp_path}", "mediacaster.secret": SECRET, key: value}, {})


@pytest.mark.parametrize(("value", "secure"), [("auto", None), ("", None), ("true", True), ("off", False)])
def test_the_cookies_secure_flag_is_auto_unless_forced(tmp_path, value, secure):
    base = {"mediacaster.roots": f"v={tmp_path}", "mediacaster.secret": SECRET}
    assert load(base, {}).cookie_secure is None  # auto: the request's scheme decides
    assert load({**base, "mediacaster.cookie_secure": value}, {}).cookie_secure is secure


def test_without_roots_the_demo_library_or_a_clear_error(tmp_path):
    demo = load({"mediacaster.demo_library": "true", "mediacaster.secret": SECRET}, {})
    assert demo.demo and set(demo.roots) == {"audio", "images", "video"}
    assert all(path.parent == DEMO_LIBRARY for path in demo.roots.values())
    with pytest.raises(SettingsError, match="mediacaster.roots is empty"):
        load({"mediacaster.secret": SECRET}, {})


def test_a_short_secret_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="mediacaster.secret must be at least 16"):
        load({"mediacaster.roots": f"v={tmp_path}", "mediacaster.secret": "short"}, {})


def test_every_setting_is_declared_once_and_listed_in_the_readme():
    readme = (REPO / "README.md").read_text()
    keys = [spec.metadata["key"] for spec in declared()]
    assert len(keys) == len(set(keys))
    for spec in declared():
        assert f"| `{spec.metadata['key']}` | `{spec.metadata['env']}` |" in readme, spec.metadata["key"]
