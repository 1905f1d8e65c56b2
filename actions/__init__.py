"""Custom actions for the rasa-sdk action server. Personal data is masked in this process's logs too."""

from bot.privacy import install_log_redaction

install_log_redaction()
