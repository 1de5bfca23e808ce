# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim

# PROMETHEUS_MULTIPROC_DIR: gunicorn's processes share their webhook counts for /metrics there
# (config/metrics.py); the web command empties it at each start.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    EE_CONNECT_VAR_DIR=/app/var \
    PROMETHEUS_MULTIPROC_DIR=/tmp/ee-connect-metrics

WORKDIR /app
RUN useradd --create-home --uid 10001 eeconnect

# The dependencies exactly as locked (make lock), each file checked against its hash; a layer of
# its own, rebuilt only when the lock changes. The project itself then adds nothing to them.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY api ./api
COPY config ./config
COPY connectors ./connectors
COPY events ./events
COPY rewards ./rewards
COPY templates ./templates
COPY manage.py ./
RUN pip install --no-deps . && mkdir -p /app/var && SECRET_KEY=build python manage.py collectstatic --noinput \
    && chown -R eeconnect /app/var

USER eeconnect
EXPOSE 8000
# gunicorn processes and threads each (see WEB_CONCURRENCY in config/settings.py); set both to suit the host.
ENV WEB_CONCURRENCY=4 WEB_THREADS=4
CMD ["sh", "-c", "rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && exec gunicorn config.wsgi --bind 0.0.0.0:8000 --workers \"$WEB_CONCURRENCY\" --threads \"$WEB_THREADS\" --access-logfile -"]
