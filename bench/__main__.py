"""``python -m bench`` (``make bench``): run every benchmark, or the ones named."""

import sys

from bench import cast, conversion, home, library, player, streaming

BENCHMARKS = {
    "home": home.main,
    "library": library.main,
    "streaming": streaming.main,
    "cast": cast.main,
    "conversion": conversion.main,
    "player": player.main,
}

for name in sys.argv[1:] or BENCHMARKS:
    BENCHMARKS[name]()
