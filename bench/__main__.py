"""``python -m bench`` (``make bench``): run every benchmark, or the ones named.

``python -m bench soak [--minutes 30]`` runs the soak benchmark (bench/soak.py), which
lasts half an hour and so is left out of the default list.
"""

import sys

from bench import cast, conversion, home, library, player, soak, streaming

BENCHMARKS = {
    "home": home.main,
    "library": library.main,
    "streaming": streaming.main,
    "cast": cast.main,
    "conversion": conversion.main,
    "player": player.main,
}

if sys.argv[1:2] == ["soak"]:
    soak.main(sys.argv[2:])
else:
    for name in sys.argv[1:] or BENCHMARKS:
        BENCHMARKS[name]()
