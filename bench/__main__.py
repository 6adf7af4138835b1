"""``python -m bench`` (``make bench``): run every benchmark, or the ones named; options
after the names are the catalogue benchmark's (``python -m bench catalogue --help``)."""

import sys

from bench import cast, catalogue, conversion, home, library, player, streaming

BENCHMARKS = {
    "home": home.main,
    "library": library.main,
    "streaming": streaming.main,
    "cast": cast.main,
    "conversion": conversion.main,
    "player": player.main,
    "catalogue": catalogue.main,
}

arguments = sys.argv[1:]
names = [a for a in arguments[: next((i for i, a in enumerate(arguments) if a.startswith("-")), None)]]
options = arguments[len(names) :]
for name in names or BENCHMARKS:
    BENCHMARKS[name](options) if name == "catalogue" else BENCHMARKS[name]()
