"""``mediacaster-worker``: run the app's conversions on this machine (docs/workers.md).

    mediacaster-worker -c worker.ini

The ini file's ``[worker]`` section holds its settings, the environment
overrides them (:class:`mediacaster.settings.WorkerSettings`). A setting it
cannot run with (a mapped folder that does not exist here, no broker, no
ffmpeg) ends it with one line on stderr and status 2; SIGTERM and Ctrl-C stop
it, and the ffmpeg it runs, at once (the app sends those jobs elsewhere).
"""

import argparse
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="mediacaster-worker",
        description="Run mediacaster's conversions on this machine, taking them from the app's broker.",
        epilog="Settings, path mapping and a household's set-up: docs/workers.md.",
    )
    parser.add_argument("-c", "--config", metavar="INI", help="the worker's ini file, e.g. worker.ini")
    parser.add_argument("--loglevel", default="INFO", help="INFO (the default), WARNING, DEBUG...")
    args = parser.parse_args(argv)
    if args.config:
        if not os.path.isfile(args.config):
            raise SystemExit(f"mediacaster-worker: cannot start: no file {args.config}")
        os.environ["MEDIACASTER_WORKER_CONFIG"] = os.path.abspath(args.config)
    # Reads and checks the settings: one line and status 2 when they are wrong.
    from mediacaster.worker import app, settings

    options = ["worker", f"--loglevel={args.loglevel}", "--without-mingle", "--without-gossip"]
    if settings.name:
        options += ["--hostname", settings.name]
    # Warm shutdown waits for running tasks: a worker's runs end at once instead
    # (mediacaster.worker), so SIGTERM leaves no ffmpeg behind.
    app.worker_main(options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
