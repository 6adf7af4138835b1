"""How many failed logins an address and a name may have before they must wait.

Counted in Redis (shared by every worker, gone after the window): at most
``per_name`` failures for one account name and ``per_address`` from one
address within ``window`` seconds; past that, every attempt is refused until
the window of the oldest count ends, and the page says how long that is.
"""

from mediacaster.services.accounts import fold


class LoginLimits:
    def __init__(self, redis, per_name=5, per_address=20, window=900):
        self.redis = redis
        self.limits = {"name": per_name, "address": per_address}
        self.window = window

    def _keys(self, address, name):
        return {"address": f"login-failures:address:{address}", "name": f"login-failures:name:{fold(name)}"}

    def wait(self, address, name):
        """Seconds to wait before trying again; 0 when a try is allowed."""
        keys = self._keys(address, name)
        waits = []
        for kind, key in keys.items():
            count = int(self.redis.get(key) or 0)
            if count >= self.limits[kind]:
                waits.append(max(1, self.redis.ttl(key)))
        return max(waits, default=0)

    def failed(self, address, name):
        pipe = self.redis.pipeline()
        for key in self._keys(address, name).values():
            pipe.set(key, 0, ex=self.window, nx=True)  # the window starts at the first failure
            pipe.incr(key)
        pipe.execute()

    def succeeded(self, address, name):
        self.redis.delete(self._keys(address, name)["name"])
