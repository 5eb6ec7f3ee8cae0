from django.contrib.auth.backends import ModelBackend


class LockoutModelBackend(ModelBackend):
    """ModelBackend that also refuses locked accounts (the lock itself is set by services)."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not user.is_locked
