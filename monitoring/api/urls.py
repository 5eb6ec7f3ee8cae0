from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("warning-rules", views.WarningRuleViewSet, basename="warning-rule")
router.register("warnings", views.WarningViewSet, basename="warning")
router.register("debt-figures", views.DebtFigureViewSet, basename="debt-figure")

urlpatterns = router.urls
