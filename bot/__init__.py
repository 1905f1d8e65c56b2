"""The assistant's own code: NLU components, replies, the service directory and the channels.

Importing it masks personal data in every log record the process makes from then on (``bot.privacy``).
"""

from bot.privacy import install_log_redaction

install_log_redaction()
