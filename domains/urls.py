from .views import commitments, config, lists, notices, records, requests

app_name = "domains"

urlpatterns = [
    *config.urlpatterns,
    *records.urlpatterns,
    *requests.urlpatterns,
    *commitments.urlpatterns,
    *notices.urlpatterns,
    *lists.urlpatterns,
]
