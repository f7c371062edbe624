"""The Redis cache, with one client per connection pool.

Django's Redis backend builds a new `redis.Redis` object on every call (a fifth of a millisecond, on
every API request's sign-in check); one per pool serves them all, as `redis.Redis` is thread-safe
and takes its connections from the pool.
"""

from django.core.cache.backends import redis as django_redis


class _PooledClients(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _PooledClients
