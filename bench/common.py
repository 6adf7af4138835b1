"""Timing helpers shared by the benchmarks."""

import statistics
import time
import urllib.request

# Apps that measure listing, casting and converting run as the demo does, without logins;
# the streaming benchmark runs with them, as production does.
LOGINS_OFF = {"mediacaster.auth": "false", "mediacaster.allow_auth_off": "true"}


def timed(fn, repeat):
    """Median and best wall time of ``fn()`` in milliseconds over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times)


def fetch(url):
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def table(title, header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(f"\n{title}")
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))


def markdown_table(title, header, rows):
    """Print ``rows`` as a Markdown table, ready to paste into docs/performance.md."""
    print(f"\n{title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(x) for x in row) + " |")
