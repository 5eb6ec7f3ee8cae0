from django.urls import path

from . import two_factor_views, views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("accounts/profile/", two_factor_views.AccountView.as_view(), name="account"),
    path(
        "accounts/two-factor/verify/",
        two_factor_views.SecondFactorVerifyView.as_view(),
        name="otp-verify",
    ),
    path(
        "accounts/two-factor/enrol/",
        two_factor_views.SecondFactorEnrolView.as_view(),
        name="otp-enrol",
    ),
    path(
        "accounts/two-factor/recovery-codes/",
        two_factor_views.RecoveryCodesView.as_view(),
        name="otp-recovery-codes",
    ),
    path(
        "accounts/two-factor/remove/",
        two_factor_views.SecondFactorRemoveView.as_view(),
        name="otp-remove",
    ),
    path("tenants/", views.TenantListView.as_view(), name="tenant-list"),
    path("tenants/new/", views.TenantFormView.as_view(), name="tenant-create"),
    path("tenants/<int:pk>/edit/", views.TenantFormView.as_view(), name="tenant-update"),
    path("agencies/", views.AgencyListView.as_view(), name="agency-list"),
    path("agencies/new/", views.AgencyFormView.as_view(), name="agency-create"),
    path("agencies/export/", views.AgencyExportView.as_view(), name="agency-export"),
    path("agencies/import/", views.AgencyImportView.as_view(), name="agency-import"),
    path("agencies/import/template/", views.AgencyTemplateView.as_view(), name="agency-template"),
    path("agencies/<int:pk>/", views.AgencyDetailView.as_view(), name="agency-detail"),
    path("agencies/<int:pk>/edit/", views.AgencyFormView.as_view(), name="agency-update"),
    path(
        "agencies/<int:pk>/deactivate/",
        views.AgencySetActiveView.as_view(active=False),
        name="agency-deactivate",
    ),
    path(
        "agencies/<int:pk>/activate/",
        views.AgencySetActiveView.as_view(active=True),
        name="agency-activate",
    ),
    path("api-clients/", views.ApiClientListView.as_view(), name="api-client-list"),
    path("api-clients/new/", views.ApiClientFormView.as_view(), name="api-client-create"),
    path("api-clients/<int:pk>/edit/", views.ApiClientFormView.as_view(), name="api-client-update"),
    path(
        "api-clients/<int:pk>/rotate/",
        views.ApiClientActionView.as_view(action="rotate"),
        name="api-client-rotate",
    ),
    path(
        "api-clients/<int:pk>/revoke/",
        views.ApiClientActionView.as_view(action="revoke"),
        name="api-client-revoke",
    ),
    path("users/", views.UserListView.as_view(), name="user-list"),
    path("users/new/", views.UserFormView.as_view(), name="user-create"),
    path("users/<int:pk>/edit/", views.UserFormView.as_view(), name="user-update"),
    path(
        "users/<int:pk>/reset-password/",
        views.UserResetPasswordView.as_view(),
        name="user-reset-password",
    ),
    path(
        "users/<int:pk>/reset-second-factor/",
        two_factor_views.UserSecondFactorResetView.as_view(),
        name="user-otp-reset",
    ),
    path("users/<int:pk>/lock/", views.UserActionView.as_view(action="lock"), name="user-lock"),
    path(
        "users/<int:pk>/unlock/", views.UserActionView.as_view(action="unlock"), name="user-unlock"
    ),
    path(
        "users/<int:pk>/activate/",
        views.UserActionView.as_view(action="activate"),
        name="user-activate",
    ),
    path(
        "users/<int:pk>/deactivate/",
        views.UserActionView.as_view(action="deactivate"),
        name="user-deactivate",
    ),
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
    path("notifications/read/", views.NotificationReadView.as_view(), name="notification-read"),
    path("audit/", views.AuditListView.as_view(), name="audit-list"),
    path("audit/security/", views.SecurityEventListView.as_view(), name="security-event-list"),
]
