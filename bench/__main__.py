"""``python -m bench`` (``make bench``): run every benchmark, or the ones named; options
after the names are the catalogue benchmark's (``python -m bench catalogue --help``).

``python -m bench soak [--minutes 30]`` runs the soak benchmark (bench/soak.py), which
lasts half an hour and so is left out of the default list; so is ``python -m bench capacity``
(bench/capacity.py), whose fake Chromecast binds 127.0.0.2:8009.
"""

import sys

from bench import capacity, cast, catalogue, conversion, home, library, player, previews, soak, streaming

BENCHMARKS = {
    "home": home.main,
    "library": library.main,
    "streaming": streaming.main,
    "cast": cast.main,
    "conversion": conversion.main,
    "player": player.main,
    "catalogue": catalogue.main,
    "previews": previews.main,
}

# Guarded: the catalogue's reading process is spawned and imports this module again.
if __name__ == "__main__":
    arguments = sys.argv[1:]
    names = [a for a in arguments[: next((i for i, a in enumerate(arguments) if a.startswith("-")), None)]]
    options = arguments[len(names) :]
    if names == ["soak"]:
        soak.main(options)
    elif names == ["capacity"]:
        capacity.main(options)
    else:
        for name in names or BENCHMARKS:
            BENCHMARKS[name](options) if name in ("catalogue", "conversion") else BENCHMARKS[name]()
