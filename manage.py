#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integrity.settings")
    import django
    from django.core.management import execute_from_command_line

    django.setup()
    from integrity import rls

    # Commands and shells act for the platform: every tenant's rows (row-level security). The
    # development server's requests set their own scope (integrity.rls.TenantScopeMiddleware).
    with rls.system():
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
