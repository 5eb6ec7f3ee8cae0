"""Celery with a live Redis broker and a real worker (not eager)."""

import os
import subprocess
import sys

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from integrity.celery import app
from integrity.tasks import ping
from tests.conftest import CI

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_reachable() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def live_worker(transactional_db):
    if not _redis_reachable():
        if CI:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable; CI needs a live broker.")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: live-broker tests skipped.")
    previous = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False)
    try:
        with start_worker(
            app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10
        ):
            yield
    finally:
        app.conf.update(previous)


@pytest.mark.broker
def test_task_round_trip_through_redis_and_worker(live_worker):
    result = ping.delay()
    assert result.get(timeout=20) == "pong"
    assert result.successful()


@pytest.mark.broker
def test_health_check_reaches_the_worker(live_worker, client):
    response = client.get("/healthz?worker=1")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "worker": "pong"}


def test_tasks_run_eagerly_without_a_broker_setting():
    """`make run` sets no REDIS_URL: tasks then run in-process, no broker needed."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CELERY_TASK_ALWAYS_EAGER)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    assert out.stdout.strip().endswith("True")
