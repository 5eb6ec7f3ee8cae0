"""The second factor (accounts.two_factor_views): the own account's pages and the reset."""

from . import ObjectURL

OBJECT_URLS: dict[str, ObjectURL] = {
    # An office admin resets users of their county only (platform admins anyone's).
    "accounts:user-otp-reset": ObjectURL(lambda w: w.office_admin_b, lambda w: w.clerk_a2),
}

# The signed-in user's own account and second factor: nothing of anyone else is addressed.
NON_OBJECT_URLS = {
    "accounts:account",
    "accounts:otp-verify",
    "accounts:otp-enrol",
    "accounts:otp-recovery-codes",
    "accounts:otp-remove",
}
