# One image for the Rasa server, the action server and the retention purge (docker-compose.yml,
# deploy/k8s/). The trained model is built into the image, so a new model is a new image tag, rolled out
# like any other change (README: "Production").
FROM python:3.10-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1

WORKDIR /app
RUN useradd --create-home --uid 10001 assistant

# Dependencies first (the slow layer), pinned exactly as `make install` pins them.
COPY pyproject.toml constraints.txt README.md ./
COPY bot/__init__.py bot/__init__.py
COPY actions/__init__.py actions/__init__.py
RUN pip install --no-cache-dir -c constraints.txt -e .

COPY . .
RUN rasa train --config config.yml --domain domain --data data --out models --fixed-model-name current \
    && rm -rf .rasa /root/.cache

USER assistant
EXPOSE 5005 5055
# The Rasa server; the action server and the purge name their own command (docker-compose.yml, deploy/k8s/).
CMD ["rasa", "run", "--model", "models/current.tar.gz", "--endpoints", "endpoints.yml", \
     "--credentials", "credentials.yml", "--interface", "0.0.0.0", "--port", "5005"]
