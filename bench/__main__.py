"""``python -m bench`` (``make bench``): run every benchmark."""

from bench import library

library.main()
