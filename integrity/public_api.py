"""URL module of the public read API (no account), mounted at /api/v1/public/ inside the v1
namespace: the public records side from `domains.api.public`, the rankings from
`scoring.api.public`."""

from domains.api import public as domains_public
from scoring.api import public as scoring_public

urlpatterns = [*domains_public.urlpatterns, *scoring_public.urlpatterns]
