"""docs/mediacaster.service, the systemd unit of docs/production.md, checked by systemd itself."""

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.common.app import REPO

UNIT = REPO / "docs" / "mediacaster.service"
EXAMPLES = {
    "/opt/mediacaster/venv/bin/mediacaster": str(Path(sys.executable).parent / "mediacaster"),
    "/etc/mediacaster/production.ini": str(REPO / "production.ini"),
}


def sections():
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string(UNIT.read_text())
    return parser


def test_systemd_analyze_verifies_the_unit(tmp_path):
    """With this checkout's ``mediacaster`` command in place of the example path (systemd
    checks that the command exists), the unit passes without a warning."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.fail("systemd-analyze is missing: make test installs Debian's systemd")
    text = UNIT.read_text()
    for example, here in EXAMPLES.items():
        assert example in text, f"docs/mediacaster.service no longer holds {example!r}"
        text = text.replace(example, here)
    unit = tmp_path / "mediacaster.service"
    unit.write_text(text)
    result = subprocess.run(
        [tool, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_unit_runs_the_app_as_a_service_should():
    service = sections()["Service"]
    # A user of its own, never root; secrets from a file only root reads, not from the unit.
    assert service["User"] == "mediacaster" and service["Group"] == "mediacaster"
    assert service["EnvironmentFile"] == "/etc/mediacaster/env"
    assert not any("SECRET" in value for value in service.values())
    # Restarted when it fails; stopped with SIGTERM, which the app handles as Ctrl-C.
    assert service["Restart"] == "on-failure"
    assert service["KillMode"] == "mixed"
    assert service["ExecStart"] == "/opt/mediacaster/venv/bin/mediacaster /etc/mediacaster/production.ini"
    # The data folder is the state directory the user owns.
    assert service["StateDirectory"] == "mediacaster"
    assert service["Environment"] == "MEDIACASTER_DATA_DIR=/var/lib/mediacaster"
    assert sections()["Install"]["WantedBy"] == "multi-user.target"
