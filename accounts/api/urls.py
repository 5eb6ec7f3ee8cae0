from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("tenants", views.TenantViewSet, basename="tenant")
router.register("agencies", views.AgencyViewSet, basename="agency")
router.register("users", views.UserViewSet, basename="user")

urlpatterns = router.urls
