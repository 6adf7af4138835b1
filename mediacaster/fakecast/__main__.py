"""``python -m mediacaster.fakecast``: run a fake Chromecast until Ctrl-C."""

import argparse
import threading
import uuid

from mediacaster.fakecast import receiver
from mediacaster.fakecast.receiver import FakeChromecast


def main():
    parser = argparse.ArgumentParser(
        description=receiver.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--name", default="Fake TV")
    parser.add_argument("--model", default="Chromecast")
    parser.add_argument("--address", default="127.0.0.2", help="address to listen on (port 8009)")
    parser.add_argument(
        "--uuid", type=uuid.UUID, help="the device's id (default: a new one): the same one is the same TV"
    )
    parser.add_argument(
        "--no-mdns", dest="mdns", action="store_false", help="not advertised: found only as a known host"
    )
    args = parser.parse_args()
    device = FakeChromecast(args.name, args.model, args.address, port=8009, uuid=args.uuid, eureka=True)
    zeroconf = None
    if args.mdns:
        from zeroconf import Zeroconf

        zeroconf = Zeroconf(interfaces=[args.address] if args.address.startswith("127.") else None)
    device.start(zeroconf)
    where = f"{args.address}:{device.port}; known_hosts: {args.address}"
    print(f"{args.name} ({args.model}) on {where}", flush=True)
    print("Ctrl-C stops it.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        device.stop()
        if zeroconf is not None:
            zeroconf.close()


if __name__ == "__main__":
    main()
