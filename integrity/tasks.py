from celery import shared_task
from django.db import connection


@shared_task(name="integrity.ping")
def ping() -> str:
    """Health check of the worker path: broker → worker → database → result backend."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "pong"
