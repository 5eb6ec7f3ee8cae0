from django.contrib.auth.backends import ModelBackend

from integrity import rls


class LockoutModelBackend(ModelBackend):
    """ModelBackend that also refuses locked accounts (the lock itself is set by services).
    Users are looked up for the platform (row-level security): the tenant is known only after."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not user.is_locked

    def authenticate(self, request, username=None, password=None, **kwargs):
        with rls.system():
            return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        with rls.system():
            return super().get_user(user_id)
