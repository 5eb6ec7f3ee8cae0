"""URLs of campaign work, collected from the view modules (each module owns its patterns)."""

from .views import campaigns, filings, imports, investment, ledger, plans

app_name = "rectification"

urlpatterns = [
    *campaigns.urlpatterns,
    *filings.urlpatterns,
    *plans.urlpatterns,
    *ledger.urlpatterns,
    *imports.urlpatterns,
    *investment.urlpatterns,
]
