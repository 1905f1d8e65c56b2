"""Our REST channel (bot/channels/rest.py): a turn that fails still gets an answer with the 999 line,
and the failure is logged without the person's words."""

from __future__ import annotations

import logging

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.rest import answer_or_fallback


async def test_a_failed_turn_gets_the_fallback_and_the_log_keeps_no_words(caplog):
    async def failing(message: UserMessage) -> None:
        raise RuntimeError("the tracker store is down")

    collector = CollectingOutputChannel()
    words = "my ex keeps texting me from 07700 900456"
    with caplog.at_level(logging.DEBUG):
        await answer_or_fallback(failing, UserMessage(words, collector, "person"))
    assert len(collector.messages) == 1 and "999" in collector.messages[0]["text"]
    assert "RuntimeError" in caplog.text and words not in caplog.text and "900456" not in caplog.text


async def test_a_turn_that_answered_before_failing_keeps_its_answer():
    async def half(message: UserMessage) -> None:
        await message.output_channel.send_response(message.sender_id, {"text": "first part"})
        raise RuntimeError("then the action server failed")

    collector = CollectingOutputChannel()
    await answer_or_fallback(half, UserMessage("hello", collector, "person"))
    assert [m["text"] for m in collector.messages] == ["first part"]
