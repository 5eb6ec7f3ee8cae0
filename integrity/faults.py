"""Fault injection: named points inside the write transactions of the background jobs where a
worker can be stopped in the middle, so tests/test_fault_injection.py can SIGKILL a real worker
mid-transaction and check that nothing half-written is ever visible.

The points are armed by the environment of the worker process only, read once at import:

- ``INTEGRITY_FAULT``: the name of the one armed point (e.g. ``score_run:after_delete``);
- ``INTEGRITY_FAULT_ACTION``: ``hang`` (default: block for ever, the test kills the process) or
  ``kill`` (the process sends itself SIGKILL);
- ``INTEGRITY_FAULT_MARKER``: a file created (holding the process id) when the point is reached.
  With a marker the point fires once: the process that creates the file stops, and a retry of
  the task (in a new pool process of the same worker) passes through.

Without ``INTEGRITY_FAULT`` (always, in production: arming one there refuses to start),
``fault_point`` is a function that does nothing.
"""

from __future__ import annotations

import os
import signal
import time

from django.core.exceptions import ImproperlyConfigured

ARMED = os.environ.get("INTEGRITY_FAULT", "")
ACTION = os.environ.get("INTEGRITY_FAULT_ACTION", "hang")
MARKER = os.environ.get("INTEGRITY_FAULT_MARKER", "")

if ARMED and os.environ.get("DJANGO_ENV") == "production":
    raise ImproperlyConfigured("INTEGRITY_FAULT must not be set in production.")
if ARMED and ACTION not in ("hang", "kill"):
    raise ImproperlyConfigured("INTEGRITY_FAULT_ACTION must be 'hang' or 'kill'.")


def _reached(name: str) -> None:
    """Stop the process here when this is the armed point."""
    if name != ARMED:
        return
    if MARKER:
        try:
            descriptor = os.open(MARKER, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return  # fired already
        with os.fdopen(descriptor, "w") as marker:
            marker.write(str(os.getpid()))
    if ACTION == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    while True:  # "hang": the transaction stays open until the process is killed
        time.sleep(3600)


def _disarmed(name: str) -> None:
    """No point is armed: nothing to do."""


fault_point = _reached if ARMED else _disarmed
