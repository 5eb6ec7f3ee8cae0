"""The container deployment: Dockerfile, docker-compose.yml, .env.example and the entrypoint.

The Docker engine does not run on developer machines or CI. `docker compose config` validates the
compose file where the compose plugin is installed; elsewhere the YAML is checked structurally.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
ENV_EXAMPLE = ROOT / ".env.example"

SERVICES = {"postgres", "redis", "web", "worker", "beat"}
APP_SERVICES = ("web", "worker", "beat", "migrate")
# Values for the variables the compose file requires (${VAR:?...}).
DUMMY_ENV = {
    "SECRET_KEY": "test-only-dummy-secret-key",
    "POSTGRES_PASSWORD": "testonlydummypassword",
    "DATABASE_APP_PASSWORD": "testonlyapppassword",
    "ALLOWED_HOSTS": "integrity.example.test",
}


def _compose_available() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    result = subprocess.run(  # noqa: S603
        [docker, "compose", "version"], capture_output=True, text=True, check=False
    )
    return result.returncode == 0


def _compose_config(tmp_path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`docker compose config -q` with exactly `env`: an empty env file replaces any local .env."""
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    base = {k: v for k, v in os.environ.items() if k not in DUMMY_ENV and k != "DATABASE_URL"}
    return subprocess.run(  # noqa: S603
        [
            shutil.which("docker"),
            "compose",
            "--project-directory",
            str(ROOT),
            "--env-file",
            str(env_file),
            "-f",
            str(COMPOSE_FILE),
            "config",
            "-q",
        ],
        capture_output=True,
        text=True,
        env={**base, **env},
        check=False,
    )


def _compose() -> dict:
    yaml = pytest.importorskip(
        "yaml", reason="PyYAML is not installed: cannot parse docker-compose.yml"
    )
    return yaml.safe_load(COMPOSE_FILE.read_text())


def test_compose_file_is_valid(tmp_path):
    if _compose_available():
        result = _compose_config(tmp_path, DUMMY_ENV)
        assert result.returncode == 0, result.stderr
    else:
        services = _compose()["services"]
        assert services.keys() >= SERVICES


def test_compose_refuses_to_start_without_secret_key(tmp_path):
    secret_key = _compose()["services"]["web"]["environment"]["SECRET_KEY"]
    assert secret_key.startswith("${SECRET_KEY:?")
    if not _compose_available():
        pytest.skip("`docker compose` is not installed: checked the interpolation text only")
    env = {k: v for k, v in DUMMY_ENV.items() if k != "SECRET_KEY"}
    result = _compose_config(tmp_path, env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_web_worker_and_beat_run_one_image():
    services = _compose()["services"]
    first = services["web"]
    for name in APP_SERVICES:
        assert services[name]["build"] == first["build"] == "."
        assert services[name]["image"] == first["image"]
        environment = dict(services[name]["environment"])
        if name == "migrate":  # only migrations know the owner
            assert environment.pop("DATABASE_OWNER_URL").startswith("postgres://${POSTGRES_USER")
            assert environment.pop("DATABASE_APP_PASSWORD")
        else:
            assert "DATABASE_OWNER_URL" not in environment
        assert environment == first["environment"]
    assert first["environment"]["DJANGO_ENV"] == "production"
    for name in ("DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"):
        assert first["environment"][name]
    assert "//integrity_app:" in first["environment"]["DATABASE_URL"]
    assert services["web"]["command"] == ["web"]
    assert services["worker"]["command"] == ["worker"]
    assert services["beat"]["command"] == ["beat"]


def test_services_wait_for_healthy_dependencies_and_migrations():
    services = _compose()["services"]
    for name in ("postgres", "redis", "web"):
        assert services[name]["healthcheck"]["test"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        depends_on = services[name]["depends_on"]
        assert depends_on["postgres"]["condition"] == "service_healthy"
        assert depends_on["redis"]["condition"] == "service_healthy"
        assert depends_on["migrate"]["condition"] == "service_completed_successfully"


def test_data_lives_in_named_volumes():
    compose = _compose()
    services = compose["services"]
    assert set(compose["volumes"]) >= {"pgdata", "redisdata", "media"}
    # PostgreSQL 18 images keep data below /var/lib/postgresql/18/: mount the parent.
    assert "pgdata:/var/lib/postgresql" in services["postgres"]["volumes"]
    for name in APP_SERVICES:
        assert "media:/data/media" in services[name]["volumes"]
    # web serves the static files collected into the image (WhiteNoise): no shared folder.
    assert not any(":/app/staticfiles" in str(v) for v in services["web"].get("volumes", []))


def test_env_example_documents_every_required_variable():
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE_FILE.read_text()))
    assert required >= {"SECRET_KEY", "POSTGRES_PASSWORD", "ALLOWED_HOSTS"}
    documented = set(re.findall(r"^#?\s*(\w+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    assert required <= documented


def test_dockerfile_loads_nothing_from_a_cdn():
    text = DOCKERFILE.read_text().lower()
    assert not re.search(
        r"https?://\S*(cdn|unpkg|jsdelivr|googleapis|bootcss|staticfile|cloudflare)", text
    )
    assert "curl " not in text and "wget " not in text


def test_dockerfile_copies_the_same_assets_as_make_assets():
    """Both run scripts/vendor-assets after `npm ci`, so they ship the same files."""
    assert "scripts/vendor-assets" in (ROOT / "Makefile").read_text()
    dockerfile = DOCKERFILE.read_text()
    assert "npm ci" in dockerfile
    assert "scripts/vendor-assets" in dockerfile


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(KEYWORD, arguments) of each instruction, continuation lines joined, comments dropped."""
    lines = [
        line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")
    ]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (match[1].upper(), match[2])
        for match in re.finditer(r"^\s*(\w+)\s+(.*)$", joined, re.MULTILINE)
    ]


def test_dockerfile_runs_as_non_root_and_keeps_no_build_secret():
    instructions = _dockerfile_instructions()
    assert ("FROM", "python:3.13-slim AS app") in instructions
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}
    for keyword, args in instructions:
        if keyword in {"ENV", "ARG"}:
            assert "SECRET_KEY" not in args and "DATABASE_URL" not in args
    (collectstatic,) = [
        args for keyword, args in instructions if keyword == "RUN" and "collectstatic" in args
    ]
    assert "DJANGO_ENV=production" in collectstatic
    assert "SECRET_KEY=" in collectstatic and "DATABASE_URL=" in collectstatic


def test_entrypoint_is_posix_sh():
    text = ENTRYPOINT.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert "\nset -e\n" in text
    assert os.access(ENTRYPOINT, os.X_OK)
    shell = shutil.which("dash") or shutil.which("sh")
    result = subprocess.run(  # noqa: S603
        [shell, "-n", str(ENTRYPOINT)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_build_time_collectstatic_needs_no_database_or_broker(tmp_path):
    """What the Dockerfile runs: production settings, dummy secrets, nothing listening."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}
    }
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="build-only-dummy-secret-key-not-used-at-run-time",
        DATABASE_URL="postgres://build:build@127.0.0.1:1/build",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "css" / "app.css").is_file()
    assert (tmp_path / "static" / "admin").is_dir()
