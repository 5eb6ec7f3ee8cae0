from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("schemes", views.SchemeViewSet, basename="scheme")
router.register("score-runs", views.ScoreRunViewSet, basename="score-run")
router.register("agency-scores", views.AgencyScoreViewSet, basename="agency-score")
router.register("indicator-scores", views.IndicatorScoreViewSet, basename="indicator-score")
router.register("publications", views.PublicationViewSet, basename="publication")

urlpatterns = router.urls
