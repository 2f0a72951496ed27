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
# Postman scripts run in Postman's own runtime (Node.js + postman-sandbox), installed at build time
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/* \
    && npm install --no-audit --no-fund --prefix /opt/postman postman-sandbox@6 && chmod -R a+rX /opt/postman
ENV PLAYWRIGHT_BROWSERS_PATH=/home/ms-playwright COGNITEST_EXECUTION__POSTMAN_SANDBOX_DIR=/opt/postman
USER cognitest
EXPOSE 8000
CMD ["cognitest", "api"]
