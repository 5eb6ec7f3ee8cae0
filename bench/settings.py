"""The platform's settings (integrity.settings, read from the environment as in production)
with one addition: the URL of the trivial view that the HTTP benchmarks compare against."""

from integrity.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
