# The app as a container: scripts/serve.sh, i.e. Streamlit replicas (one per core, or REPLICAS)
# behind nginx on port 8501, all as a non-root user.
#   docker build -t error-surface-lab .
#   docker run -p 8501:8501 error-surface-lab
#   docker run -p 8501:8501 -e REPLICAS=4 error-surface-lab
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .

# Streamlit's bundles gzipped once, at build time; nginx sends the .gz files as they are.
ENV STATIC_CACHE=/app/static-gz
RUN bash scripts/serve.sh --prepare && useradd --create-home app
USER app

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health').read() != b'ok')"
CMD ["bash", "scripts/serve.sh"]
