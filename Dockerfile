# The app as a container: scripts/serve.sh, i.e. Streamlit replicas (one per core, or REPLICAS)
# behind nginx on port 8501, all as a non-root user; a replica that exits is started again.
# deploy/kubernetes/ runs this image with REPLICAS=1 per pod.
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
RUN bash scripts/serve.sh --prepare && useradd --create-home --uid 1000 app
USER app
# JAX's persistent compilation cache (nets/jaxcache.py), in the app user's own ~/.cache, filled
# by running every network page at its defaults and presets: a new container's first network
# section loads its compiled functions instead of compiling them. The cache is keyed by the
# platform (CPU), so on a host whose CPU differs it is at worst not used.
RUN bash scripts/prime_cache.sh

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health').read() != b'ok')"
CMD ["bash", "scripts/serve.sh"]
