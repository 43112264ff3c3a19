# familydesk API image: CPU-only, models inside PyPI packages (no download at run time).
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
WORKDIR /app
# CPU torch first so sentence-transformers does not pull a CUDA build
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY pyproject.toml README.md ./
COPY src ./src
COPY index ./index
COPY prompts ./prompts
RUN pip install --no-deps . && useradd --create-home familydesk && chown -R familydesk /app
USER familydesk
ENV FAMILYDESK_INDEX_DIR=/app/index FAMILYDESK_PROMPTS_DIR=/app/prompts FAMILYDESK_CHROMA_DIR=/home/familydesk/chroma
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["familydesk", "serve", "--host", "0.0.0.0", "--port", "8000"]
