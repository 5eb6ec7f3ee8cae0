"""URLs of supervision scoring (office side), collected from the view modules."""

from .views import objections, runs, schemes

app_name = "scoring"

urlpatterns = [*schemes.urlpatterns, *runs.urlpatterns, *objections.urlpatterns]
