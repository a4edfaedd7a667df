# bms-bot: a small image that runs as a non-root user, with a HEALTHCHECK on /healthz.
# Build: docker build -t bms-bot .   Run: docker run --env-file .env -p 3000:3000 bms-bot
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY simulator ./simulator
RUN python -m venv /opt/bms-bot \
    && /opt/bms-bot/bin/pip install --no-cache-dir --upgrade pip \
    && /opt/bms-bot/bin/pip install --no-cache-dir -c constraints.txt .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/bms-bot --create-home bms-bot
COPY --from=build /opt/bms-bot /opt/bms-bot
ENV PATH=/opt/bms-bot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PORT=3000 \
    BMS_DATABASE_URL=sqlite:////var/lib/bms-bot/bms-bot.db
USER 10001
WORKDIR /var/lib/bms-bot
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '3000')}/healthz\", timeout=2)"]
ENTRYPOINT ["bms-bot"]
CMD ["run"]
