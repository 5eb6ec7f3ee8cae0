from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register(
    "campaign-participations", views.ParticipationViewSet, basename="campaign-participation"
)
router.register("ledger-issues", views.LedgerIssueViewSet, basename="ledger-issue")
router.register("repayments", views.RepaymentViewSet, basename="repayment")
router.register("filings", views.FilingViewSet, basename="filing")
router.register("filing-versions", views.FilingVersionViewSet, basename="filing-version")
router.register("milestones", views.MilestoneViewSet, basename="milestone")
router.register("milestone-updates", views.MilestoneUpdateViewSet, basename="milestone-update")
router.register(
    "investment-projects", views.InvestmentProjectViewSet, basename="investment-project"
)
router.register("duplicate-flags", views.DuplicateFlagViewSet, basename="duplicate-flag")

urlpatterns = router.urls
