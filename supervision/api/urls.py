from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("complaints", views.ComplaintViewSet, basename="complaint")
router.register("proposals", views.ProposalViewSet, basename="proposal")
router.register("litigation-cases", views.LitigationCaseViewSet, basename="litigation-case")
router.register("judgments", views.JudgmentViewSet, basename="judgment")
router.register(
    "judicial-suggestions", views.JudicialSuggestionViewSet, basename="judicial-suggestion"
)
router.register("debtor-listings", views.DebtorListingViewSet, basename="debtor-listing")
router.register(
    "evaluation-assignments", views.EvaluationAssignmentViewSet, basename="evaluation-assignment"
)
router.register("evaluation-scores", views.EvaluationScoreViewSet, basename="evaluation-score")

urlpatterns = router.urls
