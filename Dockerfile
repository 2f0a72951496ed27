# The platform's own processes (API, consumers, worker) for compose.yaml and production.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml setup.py README.md ./
COPY schemas schemas
COPY infra infra
COPY producers producers
COPY consumers consumers
COPY workflows workflows
RUN pip install . && playwright install --with-deps chromium && useradd --system --uid 10001 cognitest \
    && cp -r /root/.cache/ms-playwright /home/ms-playwright && chmod -R a+rX /home/ms-playwright
ENV PLAYWRIGHT_BROWSERS_PATH=/home/ms-playwright
USER cognitest
EXPOSE 8000
CMD ["cognitest", "api"]
