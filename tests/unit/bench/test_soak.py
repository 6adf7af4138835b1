"""The soak benchmark's own parts: what counts as a failed request, what a plateau is, and
the CSV and plot it writes."""

import csv

import pytest
from PIL import Image

from bench.soak import MEASURES, Client, Tally, analyse, plot, write_csv
from tests.common.servers import LiveServer

COLUMNS = [column for _, column, _ in MEASURES]


def samples(minutes, **curves):
    """A row every 10 s; each measure flat at 10 unless ``curves`` gives it a function of minutes."""
    rows = []
    for n in range(minutes * 6 + 1):
        minute = n / 6
        row = {"minute": minute, **{c: 10.0 for c in COLUMNS}, "errors": 0}
        row.update({c: f(minute) for c, f in curves.items()})
        rows.append(row)
    return rows


def verdicts(rows):
    return {r["measure"]: r["plateau"] for r in analyse(rows)}


def test_flat_measures_reach_a_plateau_and_a_steady_rise_does_not():
    rows = samples(30, rss_mb=lambda m: 100 + m * 0.5)  # 15 % in the second half
    results = {r["measure"]: r for r in analyse(rows)}
    assert results["memory (RSS)"]["plateau"] is False
    assert results["memory (RSS)"]["slope_per_hour"] == pytest.approx(30)
    others = {name: r["plateau"] for name, r in results.items() if name != "memory (RSS)"}
    # Busy answers follow the machine's load: shown, never judged.
    assert others.pop("503 + Retry-After, asked again") is None
    assert all(others.values())


def test_a_rise_that_levels_off_early_is_a_plateau():
    assert verdicts(samples(30, rss_mb=lambda m: 100 + 40 * min(m, 10) / 10))["memory (RSS)"] is True


def test_a_measure_that_comes_and_goes_is_a_plateau_when_it_never_goes_higher_than_before():
    sawtooth = samples(30, children=lambda m: [0, 1, 2, 1][int(m) % 4])
    assert verdicts(sawtooth)["child processes"] is True
    left_behind = samples(
        30, children=lambda m: [0, 1, 2, 1][int(m) % 4] + int(m / 5)
    )  # one more every 5 min
    assert verdicts(left_behind)["child processes"] is False


def test_a_lone_spike_does_not_tilt_the_slope():
    rows = samples(30, rss_mb=lambda m: 200.0 if 20 <= m < 20.1 else 140.0)
    result = next(r for r in analyse(rows) if r["measure"] == "memory (RSS)")
    assert result["slope_per_hour"] == 0 and result["plateau"] is True


def test_any_failure_in_the_second_half_fails_the_run():
    assert verdicts(samples(30, errors=lambda m: int(m > 20)))["failed requests"] is False
    assert verdicts(samples(30, errors=lambda m: int(m > 5)))["failed requests"] is True


def test_the_csv_and_the_plot_hold_every_sample(tmp_path):
    rows = samples(3, rss_mb=lambda m: 100 + m)
    write_csv(rows, tmp_path / "results" / "soak.csv")
    with open(tmp_path / "results" / "soak.csv", newline="") as f:
        read = list(csv.DictReader(f))
    assert len(read) == len(rows) and float(read[-1]["rss_mb"]) == pytest.approx(103)
    plot(rows, tmp_path / "soak.png", "a test")
    with Image.open(tmp_path / "soak.png") as image:
        assert image.format == "PNG" and image.width > 600


def app(environ, start_response):
    statuses = {"/ok": "200 OK", "/missing": "404 Not Found", "/busy": "503 Service Unavailable"}
    status = statuses.get(environ["PATH_INFO"], "500 Internal Server Error")
    start_response(status, [("Content-Type", "text/html"), ("Retry-After", "0")])
    return [f"<p>{status}</p>".encode()]


def test_a_client_counts_5xx_unexpected_statuses_and_refused_connections():
    tally = Tally()
    with LiveServer(app) as server:
        client = Client(server.url, tally, "users")
        assert client.call("GET", "/ok").status_code == 200
        assert client.call("GET", "/missing", expect=(200, 404)).status_code == 404
        assert client.call("GET", "/missing") is None
        assert client.call("GET", "/broken", expect=(200, 500)) is None  # a 5xx is never expected
        client.close()
        busy = Client(server.url, tally, "conversions")
        assert busy.call("GET", "/busy") is None  # asked again after Retry-After, then failed
        busy.close()
    gone = Client(server.url, tally, "players")
    assert gone.call("GET", "/ok") is None
    gone.close()
    retries = Client.RETRIES
    assert tally.made == {"users": 4, "conversions": retries + 1, "players": 1}
    assert tally.failed == {"users": 2, "conversions": 1, "players": 1} and tally.total_failed() == 4
    assert tally.retried == {"conversions": retries} and tally.total_retried() == retries
    lines = list(tally.lines())
    assert "  users: 4 made, 2 failed, 0 answered 503 + Retry-After" in lines
    assert any("GET /missing: 404 '404 Not Found'" in line for line in lines)
    assert any("GET /broken: 500 '500 Internal Server Error'" in line for line in lines)
    assert any("GET /busy: 503 '503 Service Unavailable'" in line for line in lines)
    assert any("ConnectionError" in line for line in lines)
