"""Startup through pserve: a bad setting stops it with one clear line, no traceback."""

import subprocess
import sys

import pytest

from tests.common.app import REPO

pytestmark = pytest.mark.slow


def _pserve(ini, env):
    return subprocess.run(
        [sys.executable, "-m", "pyramid.scripts.pserve", ini],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "HOME": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"MEDIACASTER_ROOTS": "video=/no/such/folder"},
            "mediacaster: invalid setting: MEDIACASTER_ROOTS (environment) = 'video=/no/such/folder': "
            "folder /no/such/folder of root 'video' does not exist",
        ),
        (
            {"REDIS_URL": "redis://127.0.0.1:1/0"},
            "mediacaster: invalid setting: redis.url = 'redis://127.0.0.1:1/0': cannot connect: "
            "Error 111 connecting to 127.0.0.1:1. Connection refused.",
        ),
        (
            {"MEDIACASTER_ALLOWED_HOSTS": "nas.example http://nas"},
            "mediacaster: invalid setting: MEDIACASTER_ALLOWED_HOSTS (environment) = "
            "'nas.example http://nas': 'http://nas' is not a host name, an address or *",
        ),
        (
            {"PORT": "eighty"},
            "mediacaster: invalid setting: PORT (environment) = 'eighty': "
            "expected a port number from 1 to 65535",
        ),
    ],
)
def test_startup_fails_with_one_clear_line(tmp_path, env, line):
    result = _pserve("development.ini", {"MEDIACASTER_DATA_DIR": str(tmp_path), **env})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == line
    assert "Traceback" not in result.stderr


def test_production_refuses_to_run_without_logins_unless_told_explicitly(tmp_path):
    env = {"MEDIACASTER_ROOTS": f"video={tmp_path}", "MEDIACASTER_AUTH": "false"}
    result = _pserve("production.ini", env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "mediacaster: invalid setting: mediacaster.auth is off, so anyone who reaches the app could "
        "browse every root and use the TVs: turn it on (MEDIACASTER_AUTH=true), or set "
        "MEDIACASTER_ALLOW_AUTH_OFF=true to run without logins on purpose"
    )
    # Told explicitly, it gets past logins to the next thing production needs: its secret.
    result = _pserve("production.ini", {**env, "MEDIACASTER_ALLOW_AUTH_OFF": "true"})
    assert "mediacaster.secret must be" in result.stderr.strip().splitlines()[-1]


def test_production_needs_a_secret(tmp_path):
    result = _pserve("production.ini", {"MEDIACASTER_ROOTS": f"video={tmp_path}"})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("mediacaster: invalid setting: mediacaster.secret must be at least 16 characters")
    )
