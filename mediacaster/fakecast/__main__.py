"""``python -m mediacaster.fakecast``: run a fake Chromecast until Ctrl-C."""

from mediacaster.fakecast import main

main()
