"""URLs of the webhook pages (the office's side)."""

from django.urls import path

from .views import (
    DeliveryDetailView,
    DeliveryRedeliverView,
    EndpointActiveView,
    EndpointCreateView,
    EndpointDetailView,
    EndpointEditView,
    EndpointListView,
    EndpointRotateView,
    EndpointTestView,
)

app_name = "webhooks"


urlpatterns = [
    path("webhooks/", EndpointListView.as_view(), name="endpoint-list"),
    path("webhooks/new/", EndpointCreateView.as_view(), name="endpoint-create"),
    path("webhooks/<int:pk>/", EndpointDetailView.as_view(), name="endpoint-detail"),
    path("webhooks/<int:pk>/edit/", EndpointEditView.as_view(), name="endpoint-edit"),
    path(
        "webhooks/<int:pk>/rotate-secret/",
        EndpointRotateView.as_view(),
        name="endpoint-rotate",
    ),
    path(
        "webhooks/<int:pk>/disable/",
        EndpointActiveView.as_view(active=False),
        name="endpoint-disable",
    ),
    path(
        "webhooks/<int:pk>/enable/",
        EndpointActiveView.as_view(active=True),
        name="endpoint-enable",
    ),
    path("webhooks/<int:pk>/test/", EndpointTestView.as_view(), name="endpoint-test"),
    path(
        "webhooks/deliveries/<int:pk>/",
        DeliveryDetailView.as_view(),
        name="delivery-detail",
    ),
    path(
        "webhooks/deliveries/<int:pk>/redeliver/",
        DeliveryRedeliverView.as_view(),
        name="delivery-redeliver",
    ),
]
