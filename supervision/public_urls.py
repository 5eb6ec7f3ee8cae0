from .views import public

app_name = "public-complaints"

urlpatterns = public.urlpatterns
