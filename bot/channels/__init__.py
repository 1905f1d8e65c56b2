"""Rasa input channels: SMS and WhatsApp (Twilio), Telegram and the web widget.

Each channel is listed in ``credentials.yml`` and takes its secrets from the environment
(``.env.example``); a channel whose secrets are not set is not started and says so in the log.
"""
