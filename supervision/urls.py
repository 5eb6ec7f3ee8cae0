from .views import complaints, evaluation, items

app_name = "supervision"

urlpatterns = [*complaints.urlpatterns, *items.urlpatterns, *evaluation.urlpatterns]
