# syntax=docker/dockerfile:1
# crmbot: `docker build -t crmbot .`, then see compose.yaml (PostgreSQL and three replicas).
#
# Two stages: uv installs the locked dependencies and crmbot itself (as a wheel, not editable) into
# /app/.venv; the runtime image gets that venv and nothing else of the build (no uv, no sources, no
# compilers). Both stages share one base image: the venv's python links to its interpreter by path.

ARG PYTHON_IMAGE=python:3.12-slim-bookworm
# the uv minor that wrote uv.lock (lock revision 5)
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13

FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# The dependencies first, from the lock file alone: a code change does not reinstall them.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    uv sync --locked --no-dev --no-install-project
COPY pyproject.toml uv.lock README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY reminders ./reminders
COPY chat ./chat
COPY storage ./storage
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable

FROM ${PYTHON_IMAGE} AS runtime
# postgresql-client: pg_dump/pg_restore for `crmbot backup` and the daily backup on PostgreSQL (Debian
# bookworm's is 15: the server must not be newer, see compose.yaml). fonts-wqy-zenhei: Chinese labels
# on digest charts (without a CJK font they fall back to pinyin); CJK_FONT=0 leaves it out (16 MB).
ARG CJK_FONT=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client $([ "$CJK_FONT" = 1 ] && echo fonts-wqy-zenhei) \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 crmbot \
    && useradd --system --uid 10001 --gid crmbot --home-dir /data --shell /usr/sbin/nologin crmbot \
    && mkdir -p /data/backups \
    && chown -R crmbot:crmbot /data
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CRMBOT_DATA_DIR=/data \
    CRMBOT_HEALTH_PORT=8080 \
    CRMBOT_LOG_FORMAT=json
USER crmbot
WORKDIR /data
EXPOSE 8080
# Liveness only: readiness (/readyz) is the orchestrator's business (compose.yaml), and a replica
# whose database is away is not restarted for it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('CRMBOT_HEALTH_PORT', '8080')}/healthz\", timeout=4)"]
ENTRYPOINT ["crmbot"]
CMD ["run"]
