"""Production settings: deploy checks clean, and no start without a secret."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k3Vq9x-7Lw2!pZr8#Tb4@Yc6&Nd1^Hf5*Jg0(Mh3)Qs7_Ue2+Wa9=Xo4%Ei6$Rl8",
    "ALLOWED_HOSTS": "credit.example.gov.cn",
    "DATABASE_URL": os.environ.get("DATABASE_URL")
    or "postgres://postgres@127.0.0.1:5432/integrity",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def _manage(*args, env):
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DEBUG"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_development_defaults_are_chinese_and_shanghai():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.SESSION_COOKIE_AGE == 30 * 60
