"""Static files: shipped in the wheel, served with cache-busted URLs and a one-year lifetime.

The first tests run in-process (WebTest). The wheel tests build a wheel of the
checkout, install it into a fresh virtual environment outside the checkout and
run it there with pserve, so a file missing from the wheel, or a path that only
resolves inside the checkout, fails here rather than on the NAS.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import zipfile
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from packaging.version import Version

from mediacaster.assets import TOKEN_LENGTH, ContentHashCacheBuster
from tests.common.pserve import Pserve, clean_environ
from tests.common.servers import free_port

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "mediacaster"
STATIC = PACKAGE / "static"
ONE_YEAR = 365 * 24 * 3600
ON_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
WHEEL_INI = """[app:main]
use = egg:mediacaster
mediacaster.roots =
mediacaster.demo_library = true
redis.url =
mediacaster.data_dir = {data}
mediacaster.secret = wheel-test-secret-0123456789
mediacaster.discovery = false

[server:main]
use = egg:mediacaster
host = 127.0.0.1
port = {port}
"""


def content_token(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:TOKEN_LENGTH]


def max_age(headers):
    match = re.search(r"(?:^|,)\s*max-age=(\d+)\s*(?:,|$)", headers.get("Cache-Control", ""))
    assert match, f"no max-age in Cache-Control: {headers.get('Cache-Control')!r}"
    return int(match.group(1))


def asset_urls(html):
    """``{"app.css": url, "app.js": url}`` from the page's stylesheet link and script."""
    soup = BeautifulSoup(html, "html.parser")
    urls = [link["href"] for link in soup.select('link[rel="stylesheet"][href]')]
    urls += [script["src"] for script in soup.select("script[src]")]
    found = {}
    for url in urls:
        match = re.search(r"/static/([^/?#]+)", url)
        if match:
            found[match.group(1)] = url
    return found


def assert_busted(url, name):
    """The URL is /static/<name>?v=<hash of the checkout's file>."""
    match = re.fullmatch(rf"https?://[^/]+/static/{re.escape(name)}\?v=([0-9a-f]+)", url)
    assert match, url
    assert match.group(1) == content_token(STATIC / name), url


# -- in-process ---------------------------------------------------------------


def test_page_asset_urls_carry_the_content_hash(testapp):
    urls = asset_urls(testapp.get("/").text)
    assert sorted(urls) == ["app.css", "app.js", "herequeue.js", "mediasession.js"]
    for name, url in urls.items():
        assert_busted(url, name)


def test_assets_are_served_with_a_one_year_lifetime(testapp):
    for name, url in asset_urls(testapp.get("/").text).items():
        response = testapp.get(url)
        assert response.body == (STATIC / name).read_bytes()
        assert max_age(response.headers) == ONE_YEAR
    # A page cached with an older token still gets today's file.
    response = testapp.get("/static/app.css?v=000000000000")
    assert response.content_type == "text/css"
    assert response.body == (STATIC / "app.css").read_bytes()


def tokenize(buster, path):
    """The token for a file, given to the buster as Pyramid does: by its path (or asset spec)."""
    return buster.tokenize(None, path.name, {"pathspec": str(path), "rawspec": str(path)})


def test_token_follows_the_content(tmp_path):
    one, two = tmp_path / "one.js", tmp_path / "two.js"
    one.write_bytes(b"console.log(1);\n")
    two.write_bytes(b"console.log(2);\n")
    buster = ContentHashCacheBuster()
    token_one = tokenize(buster, one)
    token_two = tokenize(buster, two)
    assert re.fullmatch(rf"[0-9a-f]{{{TOKEN_LENGTH}}}", token_one)
    assert token_one != token_two
    assert token_one == content_token(one)

    # Same bytes, same token: the URL does not depend on where or when the file was written.
    copy = tmp_path / "copy.js"
    copy.write_bytes(one.read_bytes())
    assert tokenize(buster, copy) == token_one

    # Each file is hashed once: a changed file keeps its token until the app restarts ...
    one.write_bytes(b"console.log('one, changed');\n")
    assert tokenize(buster, one) == token_one
    assert tokenize(ContentHashCacheBuster(), one) == content_token(one) != token_one
    # ... unless pyramid.reload_assets is on, where an edit gets a new URL at once.
    reloading = ContentHashCacheBuster(reload=True)
    before = tokenize(reloading, two)
    two.write_bytes(b"console.log('two, changed and longer');\n")
    assert tokenize(reloading, two) == content_token(two) != before


def test_buster_puts_the_hash_of_the_package_file_in_the_query():
    buster = ContentHashCacheBuster()
    spec = "mediacaster:static/app.js"
    subpath, kw = buster(None, "app.js", {"pathspec": spec, "rawspec": spec})
    assert subpath == "app.js"
    assert kw["_query"] == {"v": content_token(STATIC / "app.js")}


# -- the built wheel, installed outside the checkout ---------------------------


def missing(reason):
    """A tool the test needs is missing: a failure on CI, where everything must run; a skip elsewhere."""
    if ON_CI:
        pytest.fail(f"{reason} (CI=true: the wheel test must run)")
    pytest.skip(reason)


def run(command, **kwargs):
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=180, **kwargs
    )


def offline_build_backend():
    """True when this interpreter builds the wheel itself: setuptools with its bdist_wheel."""
    try:
        setuptools = Version(version("setuptools"))
    except PackageNotFoundError:
        return False
    return setuptools >= Version("70.1") or find_spec("wheel") is not None


def copy_checkout(destination):
    """The checkout's files, without VCS data, virtualenvs, build output or runtime data.

    pip builds a local folder in place, leaving build/ and an egg-info behind
    (whose stale SOURCES.txt setuptools would read back): build from a copy.
    """
    top_level = {".git", ".venv", "venv", "build", "dist", "data", "test-artifacts"}

    def ignore(folder, names):
        skipped = {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".egg-info"))}
        skipped |= {n for n in names if n.startswith(".") and n.endswith("_cache")} | {".hypothesis"}
        if Path(folder) == REPO:
            skipped |= top_level
        return skipped & set(names)

    shutil.copytree(REPO, destination, ignore=ignore, symlinks=True)
    return destination


def build_wheel(base):
    source = copy_checkout(base / "source")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check"]
    if offline_build_backend():
        command.append("--no-build-isolation")  # offline, with this virtualenv's setuptools
    # Otherwise pip installs setuptools and wheel into an isolated build environment,
    # from its cache or the package index (as `pip install -e .` did for this virtualenv).
    result = run([*command, "-w", base / "wheels", source])
    if result.returncode:
        output = result.stdout + result.stderr
        if "--no-build-isolation" not in command and re.search(
            r"No matching distribution found for (setuptools|wheel)|Could not find a version", output
        ):
            missing(f"cannot build the wheel: no build backend offline and no package index\n{output}")
        pytest.fail(f"building the wheel failed:\n{output}")
    (wheel,) = (base / "wheels").glob("mediacaster-*.whl")
    return wheel


def dependency_dirs():
    """Where this interpreter's packages are: listed, not processed, by the fresh venv's .pth."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys(paths[key] for key in ("purelib", "platlib")))


INSPECT = """
import importlib.metadata, json, os, sys
import mediacaster, paste.deploy, pyramid
from pyramid.path import AssetResolver
print(json.dumps({
    "mediacaster": mediacaster.__file__,
    "app.js": AssetResolver().resolve("mediacaster:static/app.js").abspath(),
    "distribution": str(importlib.metadata.distribution("mediacaster").locate_file("")),
    "pyramid": pyramid.__file__,
    "paste.deploy": paste.deploy.__file__,
    "sys.path": [os.path.realpath(entry) for entry in sys.path],
    "meta_path": [getattr(finder, "__name__", type(finder).__name__) for finder in sys.meta_path],
    "editable_modules": [name for name in sys.modules if name.startswith("__editable__")],
}))
"""


def inside_any(path, folders):
    path = Path(path).resolve()
    return any(path.is_relative_to(Path(folder).resolve()) for folder in folders)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv outside the checkout, with the wheel installed and the test venv's dependencies."""
    base = tmp_path_factory.mktemp("wheel")
    if base.is_relative_to(REPO):
        pytest.fail(f"the temporary folder {base} is inside the checkout: pass --basetemp outside it")
    wheel = build_wheel(base)

    venv = base / "venv"
    result = run([sys.executable, "-m", "venv", "--without-pip", venv])
    if result.returncode:
        missing(f"python -m venv does not work here:\n{result.stderr}")
    python = venv / "bin" / "python"
    # This pip installs into the fresh venv (which has no pip of its own), from the wheel only.
    # It runs before the .pth below exists, so the checkout's editable install is not seen as
    # "already installed".
    pip = [sys.executable, "-m", "pip", "--python", python, "--disable-pip-version-check", "--quiet"]
    result = run([*pip, "install", "--no-deps", "--no-index", "--no-compile", wheel])
    assert result.returncode == 0, result.stdout + result.stderr

    # A .pth line that is a folder is appended to sys.path; the .pth files in that folder
    # (the editable install's finder among them) are not read: only site dirs' .pth files are.
    result = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    assert result.returncode == 0, result.stderr
    site_packages = Path(result.stdout.strip())
    (site_packages / "test-dependencies.pth").write_text("".join(f"{d}\n" for d in dependency_dirs()))
    return {"base": base, "venv": venv, "python": python, "wheel": wheel}


@pytest.mark.slow
def test_wheel_carries_the_static_files_templates_and_demo_library(installed):
    with zipfile.ZipFile(installed["wheel"]) as wheel:
        names = set(wheel.namelist())
        expected = [p for p in STATIC.rglob("*") if p.is_file()]  # Shaka Player's vendor folder too
        expected += (PACKAGE / "templates").glob("*.jinja2")
        expected += [p for p in (PACKAGE / "demo").rglob("*") if p.is_file()]
        for path in expected:
            assert path.relative_to(REPO).as_posix() in names
        assert wheel.read("mediacaster/static/app.js") == (STATIC / "app.js").read_bytes()


@pytest.mark.slow
def test_installed_package_runs_from_the_fresh_venv_not_the_checkout(installed):
    outside = installed["base"] / "elsewhere"
    outside.mkdir(exist_ok=True)
    result = run([installed["python"], "-c", INSPECT], cwd=outside, env=clean_environ())
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    for key in ("mediacaster", "app.js", "distribution"):
        assert inside_any(found[key], [installed["venv"]]), (key, found[key])
        assert not inside_any(found[key], [REPO]), (key, found[key])
    # The dependencies come from the test venv, through the .pth line (paste.deploy, a
    # namespace package, without its -nspkg.pth) ...
    assert inside_any(found["pyramid"], dependency_dirs())
    assert inside_any(found["paste.deploy"], dependency_dirs())
    # ... but nothing else of the checkout is on sys.path, and the editable finder never ran.
    listed = {Path(folder).resolve() for folder in dependency_dirs()}
    for entry in found["sys.path"]:
        assert Path(entry) in listed or not inside_any(entry, [REPO]), entry
    assert found["editable_modules"] == []
    assert "_EditableFinder" not in found["meta_path"]


@pytest.fixture
def pserve(installed):
    folder = installed["base"] / "run"
    folder.mkdir()
    server = Pserve(installed["python"], folder, free_port(), WHEEL_INI)
    yield server
    server.stop()


@pytest.mark.slow
def test_pserve_from_the_wheel_serves_cache_busted_assets(pserve):
    pserve.wait_until_up()
    assert pserve.redis_servers(), f"no embedded redis-server found\n{pserve.log}"
    status, _, page = pserve.get("/")
    assert status == 200
    urls = asset_urls(page.decode())
    assert sorted(urls) == ["app.css", "app.js", "herequeue.js", "mediasession.js"], page.decode()[:2000]
    for name, url in urls.items():
        assert_busted(url, name)
        status, headers, body = pserve.get(url)
        assert status == 200
        assert body == (STATIC / name).read_bytes()
        assert 364 * 24 * 3600 <= max_age(headers) <= 366 * 24 * 3600
    assert "javascript" in pserve.get(urls["app.js"])[1]["Content-Type"]

    killed, _ = pserve.stop()
    assert pserve.process.returncode is not None
    assert pserve.group() == [] and pserve.redis_servers() == []
    assert killed == [], f"left running after Ctrl-C: {killed}\n{pserve.log}"


@pytest.mark.slow
def test_the_wheel_installs_the_commands_and_mediacaster_serves_an_ini_file(installed):
    commands = installed["venv"] / "bin"
    for name in ("mediacaster", "mediacaster-cast", "mediacaster-admin"):
        result = run([commands / name, "--help"], env=clean_environ())
        assert result.returncode == 0 and result.stdout.startswith(f"usage: {name} "), result.stderr
    folder = installed["base"] / "served"
    folder.mkdir()
    server = Pserve(installed["python"], folder, free_port(), WHEEL_INI, command=[commands / "mediacaster"])
    try:
        server.wait_until_up()
        assert server.redis_servers(), server.log
        leftovers, _ = server.stop(signal.SIGTERM, to_group=False)  # as systemd stops it
        assert leftovers == [] and server.process.returncode == 0, server.log
        assert "Traceback" not in server.log
    finally:
        server.stop()
