# Image for web (gunicorn), worker and beat (celery). Build: `docker compose build`.
# Front-end assets come from the npm registry at build time, exactly as `make assets` copies them;
# the running platform loads nothing from the internet.

# --- Front-end assets (pinned in package.json / package-lock.json) --------------------------
FROM node:22-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
COPY scripts/vendor-assets scripts/
# Optional registry mirror: docker compose build --build-arg NPM_CONFIG_REGISTRY=https://…
ARG NPM_CONFIG_REGISTRY
RUN npm ci --no-audit --no-fund --loglevel=error && scripts/vendor-assets

# --- Application ------------------------------------------------------------------------------
FROM python:3.13-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=integrity.settings \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media

RUN groupadd --system --gid 1000 app \
 && useradd --system --uid 1000 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies from pyproject.toml. Only the project file is copied here, so this layer is reused
# until the dependencies change; the project's own packages are not installed into site-packages
# (the code runs from /app, where settings find templates/, static/ and locale/).
COPY pyproject.toml ./
# Optional package index mirror: docker compose build --build-arg PIP_INDEX_URL=https://…
ARG PIP_INDEX_URL
RUN pip install . && rm -rf build *.egg-info

# Application code (root-owned: the app user cannot modify it), then the assets from the first stage.
COPY . .
COPY --from=assets /build/static/vendor/ static/vendor/
RUN chmod 0755 docker/entrypoint.sh \
 && install -d -o app -g app /app/staticfiles /data/media

USER app

# collectstatic at build time. Production settings refuse to start without SECRET_KEY and
# DATABASE_URL: these dummies exist for this one command only and are not kept in the image.
# No database is contacted.
RUN DJANGO_ENV=production \
    SECRET_KEY=build-only-dummy-secret-key-not-used-at-run-time \
    DATABASE_URL=postgres://build:build@127.0.0.1:5432/build \
    python manage.py collectstatic --noinput --verbosity 0

# Uploaded files (served only through permission-checked views).
VOLUME ["/data/media"]
EXPOSE 8000

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
