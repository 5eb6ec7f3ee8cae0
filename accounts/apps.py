from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Tenants, agencies and users")

    def ready(self) -> None:
        from . import api_client_cache

        api_client_cache.connect()
