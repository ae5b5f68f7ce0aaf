# One image for every role: `serve` (the default), `project`, and the CLI.
FROM python:3.11-slim
WORKDIR /app
# The pinned dependency set first (requirements.lock, made from pyproject.toml with
# pip-compile), so code changes do not reinstall the dependencies.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY application ./application
COPY projections ./projections
COPY service ./service
COPY api ./api
COPY cli ./cli
RUN pip install --no-cache-dir --no-deps . \
    && useradd --system registry \
    && mkdir /data && chown registry /data
USER registry
# The embedded store lives on a volume the non-root user can write; set
# REGISTRY_DATABASE_URL to a postgresql:// URL (or REGISTRY_DATABASE_URL_FILE) for PostgreSQL.
ENV REGISTRY_DATABASE_URL=sqlite:////data/tenant-registry.db \
    REGISTRY_LOG_LEVEL=info
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["tenant-registry", "serve", "--host", "0.0.0.0", "--port", "8000"]
