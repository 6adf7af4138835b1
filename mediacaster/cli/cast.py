"""``mediacaster-cast``: cast and control from a shell, through the JSON API.

    mediacaster-cast video/Films/Heat.mkv --device "Living Room TV" [--start 90]
    mediacaster-cast pause|play|stop|mute|unmute|status --device "Living Room TV"
    mediacaster-cast seek 600 --device "Living Room TV"
    mediacaster-cast volume 0.4 --device "Living Room TV"
    mediacaster-cast devices

The server is ``--url`` or ``$MEDIACASTER_URL`` (default http://localhost:6543); where
logins are on, ``$MEDIACASTER_TOKEN`` holds an API token (made on the account's page or by
``POST /api/tokens``), sent as ``Authorization: Bearer``.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

COMMANDS = ("pause", "play", "stop", "mute", "unmute", "status", "seek", "volume", "devices")


def request(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base.rstrip("/") + path, data=data, method=method)
    req.add_header("Accept", "application/json")
    token = os.environ.get("MEDIACASTER_TOKEN")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            detail = json.loads(error.read()).get("detail")
        except ValueError:
            detail = None
        raise SystemExit(f"mediacaster-cast: {detail or error}") from None
    except urllib.error.URLError as error:
        raise SystemExit(f"mediacaster-cast: cannot reach {base}: {error.reason}") from None


def describe(status):
    device, media = status.get("device") or {}, status.get("media")  # the status names its device
    volume = device.get("volume")
    line = f"{device.get('name', '?')}: volume {round(volume * 100) if volume is not None else '?'}%"
    line += " (muted)" if device.get("muted") else ""
    if media:
        position, duration = media.get("current_time") or 0, media.get("duration") or 0
        line += f", {media['player_state']} {media.get('title') or ''} {position:.0f}/{duration:.0f} s"
    else:
        line += ", nothing playing"
    return line


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="mediacaster-cast", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "what", help="a library path (root/path/to/file) or a command: " + ", ".join(COMMANDS)
    )
    parser.add_argument("value", nargs="?", type=float, help="seconds for seek, 0..1 for volume")
    parser.add_argument("--device", "-d", help="device name or id")
    parser.add_argument("--start", type=float, default=0, help="start position in seconds, when casting")
    parser.add_argument("--url", default=os.environ.get("MEDIACASTER_URL", "http://localhost:6543"))
    args = parser.parse_args(argv)

    device = {"device": args.device} if args.device else {}
    if args.what == "devices":
        for d in request(args.url, "GET", "/api/devices")["devices"]:
            print(
                f"{d['name']}\t{d['model']}\t{d['type']}\t{'online' if d['online'] else 'offline'}\t{d['id']}"
            )
        return 0
    if not args.device:
        parser.error("--device is required (a script has no session to remember one)")
    if args.what == "status":
        query = urllib.parse.urlencode({"device": args.device})
        status = request(args.url, "GET", f"/api/status?{query}")
    elif args.what in ("pause", "play", "stop"):
        status = request(args.url, "POST", f"/api/player/{args.what}", device)
    elif args.what in ("mute", "unmute"):
        status = request(args.url, "POST", "/api/player/mute", {**device, "muted": args.what == "mute"})
    elif args.what in ("seek", "volume"):
        if args.value is None:
            parser.error(f"{args.what} needs a value")
        key = "position" if args.what == "seek" else "level"
        status = request(args.url, "POST", f"/api/player/{args.what}", {**device, key: args.value})
    else:
        result = request(args.url, "POST", "/api/cast", {**device, "path": args.what, "start": args.start})
        status = {
            **result["status"],
            "device": {**result["status"]["device"], "name": result["device"]["name"]},
        }
    print(describe(status))
    return 0


if __name__ == "__main__":
    sys.exit(main())
