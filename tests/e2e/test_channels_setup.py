"""Channels start only with their secrets, and `python -m bot telegram-webhook` registers Telegram's webhook."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from tests.conftest import ROOT, rasa_env
from tests.e2e.conftest import CHANNEL_ENV

pytestmark = pytest.mark.e2e


def test_a_channel_without_its_secrets_is_not_started_and_says_so(assistant_without_actions):
    url = assistant_without_actions.url
    for path in ("/webhooks/twilio/webhook", "/webhooks/telegram/webhook"):
        assert requests.post(f"{url}{path}", data={"Body": "hi"}, timeout=30).status_code == 404
    log = assistant_without_actions.log.read_text()
    assert "Twilio channel (SMS, WhatsApp) not started: TWILIO_AUTH_TOKEN is not set." in log
    assert "Telegram channel not started: TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET not set." in log
    # the REST channel always runs
    reply = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": "s", "message": "hi"}, timeout=60)
    assert reply.status_code == 200


def test_the_webhook_command_registers_the_secret_token(assistant):
    env = {
        **rasa_env(),
        **CHANNEL_ENV,
        "TELEGRAM_API_BASE_URL": assistant.telegram.url,
        "PUBLIC_BASE_URL": "https://assistant.example.org/",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "telegram-webhook"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    (call,) = assistant.telegram.sent(method="setWebhook")
    assert call["url"] == "https://assistant.example.org/webhooks/telegram/webhook"
    assert call["secret_token"] == CHANNEL_ENV["TELEGRAM_WEBHOOK_SECRET"]
    assert CHANNEL_ENV["TELEGRAM_BOT_TOKEN"] not in result.stdout + result.stderr, (
        "the token is never printed"
    )


def test_the_webhook_command_refuses_without_secrets():
    env = {k: v for k, v in rasa_env().items() if not k.startswith("TELEGRAM_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "telegram-webhook"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
