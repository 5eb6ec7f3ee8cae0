"""The platform's URLs plus `/bench/constant/`, a view answering a constant string: the floor of
the HTTP benchmarks, served by the same gunicorn through the same middleware. Only the benchmark
server (bench.settings) has it."""

from django.http import HttpResponse
from django.urls import path

from integrity.urls import urlpatterns as platform_urlpatterns


def constant(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/constant/", constant), *platform_urlpatterns]
