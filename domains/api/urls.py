from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("key-domains", views.KeyDomainViewSet, basename="key-domain")
router.register("problem-types", views.ProblemTypeViewSet, basename="problem-type")
router.register("records", views.TrustRecordViewSet, basename="record")
router.register("measures", views.PunishmentMeasureViewSet, basename="measure")
router.register("commitments", views.CommitmentViewSet, basename="commitment")
router.register("credit-requests", views.CreditRequestViewSet, basename="credit-request")
router.register("case-notices", views.CaseNoticeViewSet, basename="case-notice")
router.register("joint-measures", views.JointMeasureViewSet, basename="joint-measure")
router.register("four-lists", views.FourListEntryViewSet, basename="four-list-entry")

urlpatterns = router.urls
