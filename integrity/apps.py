from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


class IntegrityConfig(AppConfig):
    name = "integrity"
    verbose_name = "Integrity platform"

    def ready(self) -> None:
        from . import rls

        rls.install()
        post_migrate.connect(rls.after_migrate, sender=self, dispatch_uid="integrity.rls.policies")
        checks.register(rls.check_connected_role, checks.Tags.database)
