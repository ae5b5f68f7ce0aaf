FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY projections ./projections
COPY api ./api
COPY cli ./cli
RUN pip install --no-cache-dir . && useradd --system registry
USER registry
ENV REGISTRY_LOG_LEVEL=info
EXPOSE 8000
CMD ["tenant-registry", "serve", "--host", "0.0.0.0", "--port", "8000"]
