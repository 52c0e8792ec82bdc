# edrm application image (used by docker-compose.yml).
#
# Stage 1 builds the UI assets (GOV.UK Frontend CSS/JS) with Node; stage 2 is the runtime and
# carries no Node. Build from the repository root: docker compose build (or docker build .).

FROM python:3.11-slim-bookworm AS assets
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts/build_assets.sh scripts/
COPY edrm/web/assets edrm/web/assets
RUN bash scripts/build_assets.sh

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    EDRM_HOME=/data
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng libmagic1 fonts-dejavu-core \
       postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
COPY --from=assets /src/edrm/web/static/govuk edrm/web/static/govuk
RUN pip install -c constraints.txt -e . \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin edrm \
    && mkdir -p /data \
    && chown edrm:edrm /data
USER edrm
VOLUME ["/data"]
EXPOSE 5000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/healthz', timeout=4)"]
# An empty installation unless EDRM_DEMO=1; the secret key from EDRM_SECRET_KEY(_FILE), else
# one made on first start in the data volume (readable by the service only).
ENV EDRM_DEMO=0
CMD ["sh", "/app/scripts/container_start.sh"]
