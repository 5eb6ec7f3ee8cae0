"""URL declarations for tests/test_isolation.py, one module per app or area.

Each module defines OBJECT_URLS (name → ObjectURL), NON_OBJECT_URLS (a set of names) and,
for pages of the public side that address an object, PUBLIC_OBJECT_URLS (name → PublicURL).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class ObjectURL:
    """`other_county(world)`: an object of county B, which county A's `actor` must not reach.
    `other_agency(world)`: an object of agency a2, which clerk_a1 must not reach (None when the
    object type does not belong to agencies). `other_city(world)`: an object of county C,
    which the city viewer of county A's city must not reach. `actor`: the county-A role that has
    the permission the URL needs (None: only the platform admin may use it at all). Builders
    may create objects with the factories."""

    other_county: Callable
    other_agency: Callable | None = None
    other_city: Callable | None = None
    actor: str | None = "office_admin_a"
    kwarg: str = "pk"
    # An object of county A that `actor` may reach (proves the 404s come from scoping).
    own: Callable | None = None


@dataclass
class PublicURL:
    """A public page addressing an object: `hidden(world)` returns (object, kwargs) of an object
    that is NOT public (e.g. an unpublished record); anonymous visitors must get 404 for it."""

    hidden: Callable
