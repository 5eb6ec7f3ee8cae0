"""Each worker process's own copy of the API clients it accepted (benchmark B3).

`services.api_client_authenticate` keeps an accepted client, with its user and tenant (and so
the user's cached visible tenants, `tenancy.visible_tenant_ids`), under the SHA-256 of its key,
tagged with the generation: a random token in the shared cache. Every request reads the
generation and its address's refused-key counter in one round trip (MGET); while the generation
is the one the worker's copies were made under, an accepted key costs no database query
(each copy is read again from the database after MAX_AGE seconds all the same).

Whatever changes what a key may do or whose it is moves the generation, and every worker drops
all its copies at its next request: a save or delete of an ApiClient (issue, rotate, revoke,
edit), of its identity (User of role API_CLIENT; any user whose role changes or who is saved
whole), and of any Tenant (a county added, moved or deactivated changes what a city reads).
These are signals (`connect`), so that the admin and commands are covered too; the services'
own `queryset.update()` calls move it by hand where they could touch a client (see
`services._deactivate_users_of_inactive`); the others (failed-login counts, the last-use stamp)
change nothing a key relies on.

The generation moves when the change is made and again when its transaction commits: a worker
that read the first one and loaded the rows before the commit has copies of the old rows under
a generation that the second move makes stale.
"""

from __future__ import annotations

import secrets
import time

from django.core.cache import cache
from django.db import transaction

from accounts.choices import Role

GENERATION_KEY = "api-clients:generation"
ENTRIES = 1024  # clients per worker; the whole store is dropped when full
# However the generation fares (a lost bump, a process writing to another cache), a copy is read
# from the database again after this many seconds.
MAX_AGE = 60

_clients: dict[str, tuple[object, float]] = {}
_generation: str | None = None


def read(failures_key: str) -> tuple[int, str | None]:
    """(refused keys of the address within the minute, the generation), in one round trip.
    A missing generation (a new or flushed cache) is set once, fresh: copies are only kept
    under one that is set, so an emptied cache cannot bring back an older one."""
    values = cache.get_many([failures_key, GENERATION_KEY])
    generation = values.get(GENERATION_KEY)
    if generation is None:
        token = secrets.token_hex(8)
        generation = token if cache.add(GENERATION_KEY, token, None) else None
    return values.get(failures_key) or 0, generation


def get(digest: str, generation: str | None):
    """The client accepted under this key hash, if the worker's copies are current and this one
    was read from the database less than MAX_AGE seconds ago."""
    global _generation
    if generation is None or generation != _generation:
        _clients.clear()
        _generation = generation
        return None
    kept = _clients.get(digest)
    if kept is None or time.monotonic() - kept[1] >= MAX_AGE:
        return None
    return kept[0]


def put(digest: str, client, generation: str | None) -> None:
    """Keep a client accepted under `generation`, read before the client was loaded."""
    if generation is None or generation != _generation:
        return
    if len(_clients) >= ENTRIES:
        _clients.clear()
    _clients[digest] = (client, time.monotonic())


def forget() -> None:
    global _generation
    _clients.clear()
    _generation = None


def bump() -> None:
    """Every worker's copies are stale from now on."""
    forget()
    cache.set(GENERATION_KEY, secrets.token_hex(8), None)


def changed() -> None:
    bump()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(bump)


def _client_saved(sender, **kwargs) -> None:
    changed()


def _user_saved(sender, instance, update_fields=None, **kwargs) -> None:
    if instance.role == Role.API_CLIENT or update_fields is None or "role" in update_fields:
        changed()


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from .models import ApiClient, Tenant, User

    for model, receiver in ((ApiClient, _client_saved), (Tenant, _client_saved)):
        for signal in (post_save, post_delete):
            signal.connect(receiver, sender=model, dispatch_uid=f"api_client_cache.{model}")
    post_save.connect(_user_saved, sender=User, dispatch_uid="api_client_cache.user")
    post_delete.connect(_client_saved, sender=User, dispatch_uid="api_client_cache.user")
