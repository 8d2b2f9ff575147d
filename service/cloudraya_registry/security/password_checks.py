"""Verifying registry passwords without letting logins starve everything else.

Argon2 costs memory (19 MiB with our parameters, more for hashes made with older ones) and
tens of milliseconds of CPU per verification, by design. So
verifications run on a pool of their own (``--password-workers``, never the pool that serves
blobs), at most ``--max-waiting-logins`` more may wait for it, and beyond that a login is
answered ``429`` at once instead of queueing without bound.

A verified password is remembered for two minutes under (registry id, epoch, credential
version, stored hash, keyed HMAC of the password), never the password itself: a reset or a
new registry of the same name misses the cache. Concurrent checks of the same key share one
verification (a cold cache under 64 concurrent pulls costs one argon2 run, not 64). A login
with an unknown username costs no verification at all, only the same wait.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor

from cloudraya_registry.domain.errors import Throttled
from cloudraya_registry.security.passwords import verify_password

CACHE_TTL_SECONDS = 120.0
TYPICAL_CHECK_SECONDS = 0.3  # until real checks have been timed
CACHE_MAX_ENTRIES = 10_000


class PasswordChecks:
    def __init__(self, secret: bytes, workers: int, max_waiting: int) -> None:
        self._key = hmac.new(secret, b"password-check-cache", hashlib.sha256).digest()
        self._workers = workers
        self._max_in_flight = workers + max_waiting
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._in_flight: dict[Hashable, asyncio.Future[bool]] = {}
        self._running = 0
        self._verified: OrderedDict[Hashable, float] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.verifications = 0  # argon2 runs so far (for the logs and tests)
        self._typical = TYPICAL_CHECK_SECONDS

    # -- the cache -------------------------------------------------------------------------
    def cache_key(self, identity: tuple, password: str) -> tuple:
        """``identity`` names the credential (registry id, epoch, version, stored hash)."""
        keyed = hmac.digest(self._key, password.encode("utf-8", "surrogatepass"), "sha256")
        return (*identity, keyed)

    def recently_verified(self, key: tuple) -> bool:
        now = time.monotonic()
        with self._cache_lock:
            expiry = self._verified.get(key)
            if expiry is None:
                return False
            if expiry <= now:
                del self._verified[key]
                return False
            return True

    def _remember(self, key: tuple) -> None:
        with self._cache_lock:
            self._verified[key] = time.monotonic() + CACHE_TTL_SECONDS
            self._verified.move_to_end(key)
            while len(self._verified) > CACHE_MAX_ENTRIES:
                self._verified.popitem(last=False)

    # -- verification ----------------------------------------------------------------------
    async def verify(self, key: tuple, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches; cached successes answer at once."""
        if self.recently_verified(key):
            return True
        shared = self._in_flight.get(key)
        if shared is not None:
            return await asyncio.shield(shared)
        started = time.monotonic()
        future = self._submit(functools.partial(verify_password, password_hash, password))
        self._in_flight[key] = future
        try:
            ok = await asyncio.shield(future)
        finally:
            self._in_flight.pop(key, None)
        # What a check takes just now, waiting included: what an unknown name waits too.
        self._typical = 0.8 * self._typical + 0.2 * (time.monotonic() - started)
        if ok:
            self._remember(key)
        return ok

    async def pause_like_a_check(self) -> None:
        """For unknown usernames: as long as a real check takes just now, but no CPU spent,
        so a probe learns nothing from the time and a flood of made-up names costs nothing."""
        await asyncio.sleep(self._typical)

    def verify_blocking(self, password_hash: str, password: str) -> bool:
        """For synchronous callers (the control plane): same pool, same bound."""
        self._enter()
        try:
            return self._executor().submit(verify_password, password_hash, password).result()
        finally:
            self._leave()

    def _submit(self, call) -> asyncio.Future[bool]:
        self._enter()
        future = asyncio.get_running_loop().run_in_executor(self._executor(), call)
        future.add_done_callback(lambda _f: self._leave())
        return future

    def _enter(self) -> None:
        with self._pool_lock:
            if self._running >= self._max_in_flight:
                raise Throttled("too many logins are being checked right now; retry in a second", 1)
            self._running += 1
            self.verifications += 1

    def _leave(self) -> None:
        with self._pool_lock:
            self._running -= 1

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="password")
            return self._pool

    def shutdown(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
