from .views import urlpatterns as _patterns

app_name = "monitoring"

urlpatterns = [*_patterns]
