"""The public credit page's rankings (no login), mounted under /public/."""

from .views import public

app_name = "public-scoring"

urlpatterns = [*public.urlpatterns]
