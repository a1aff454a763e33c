# livechat-analytics: a small image for Kubernetes (no HEALTHCHECK: the probes in
# config/kubernetes do that). `make image` builds it where a Docker engine exists.

# --- build: wheels for the service and its dependencies -----------------------------------
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY service ./service
COPY pipelines ./pipelines
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# --- run: the wheels installed, nothing to build with, not root ---------------------------
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin analytics
USER 10001
EXPOSE 8080
# Nothing is written at run time, so the root filesystem can be read-only.
ENTRYPOINT ["python", "-m", "service"]
