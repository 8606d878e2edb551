# The app as a container: docker build -t error-surface-lab . && docker run -p 8501:8501 error-surface-lab
FROM python:3.11-slim

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY app.py ./
COPY .streamlit .streamlit
COPY views views
COPY ui ui
COPY surfaces surfaces
COPY optimizers optimizers
COPY viz viz

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://localhost:8501/_stcore/health').read() != b'ok')"
CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true"]
