# familydesk API image: CPU-only, the default embedding's model inside a PyPI package (no download at run time).
# Runtime dependencies only: no test tools (requirements-dev.txt) and no `st` extra (sentence-transformers, torch).
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY pyproject.toml README.md ./
COPY src ./src
COPY index ./index
COPY prompts ./prompts
# /data holds the query log, the votes, the calibration report and the bot's state: it must exist and be
# writable by the user the service runs as, also when compose mounts a fresh volume there
RUN pip install --no-deps . && useradd --create-home familydesk && mkdir -p /data \
    && chown -R familydesk /app /data
USER familydesk
VOLUME /data
ENV FAMILYDESK_INDEX_DIR=/app/index FAMILYDESK_PROMPTS_DIR=/app/prompts FAMILYDESK_CHROMA_DIR=/home/familydesk/chroma \
    FAMILYDESK_DATA_DIR=/data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["familydesk", "serve", "--host", "0.0.0.0", "--port", "8000"]
