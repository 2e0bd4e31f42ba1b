"""Chat page under AppTest: empty library guidance, cited answers, follow-ups, refusals, errors."""

from __future__ import annotations

import pytest
from appkit import EIFFEL, app, index_files, texts, write

CHAT = "views/chat.py"


def test_empty_library_guides_the_user_to_upload(app_env):
    at = app(CHAT)
    assert not at.exception
    assert "library is empty" in at.info[0].value
    assert at.page_link[0].label == "Upload documents"
    assert not at.chat_input  # nothing to ask yet


@pytest.fixture
def eiffel_library(app_env):
    index_files(write(app_env, "eiffel.md", EIFFEL))
    return app_env


@pytest.mark.slow
def test_chat_turn_streams_a_cited_answer_and_opens_the_source(eiffel_library):
    at = app(CHAT)
    at.chat_input[0].set_value("When did the Eiffel Tower open?").run()
    assert not at.exception and not at.error
    answer = at.chat_message[1].markdown[0].value
    assert "1889" in answer and "[\\[1\\]](#cite-1-1)" in answer
    assert at.expander[0].label.startswith("**\\[1\\]** Eiffel Tower")
    # opening the source shows the chunk with the cited span marked
    at.session_state["src-1-1"] = True
    at.run()
    shown = texts(at)
    assert ":orange-background[**" in shown and "Gustave Eiffel" in shown

    # a follow-up leaning on "it" is answered from the same document, with history passed along
    at.chat_input[0].set_value("How tall is it?").run()
    assert not at.exception
    assert "330 metres" in at.chat_message[3].markdown[0].value

    at.sidebar.button[0].click().run()  # New chat
    assert not at.chat_message and "1 passage indexed" in texts(at)


@pytest.mark.slow
def test_unanswerable_question_is_refused_with_the_closest_sources(eiffel_library):
    at = app(CHAT)
    at.chat_input[0].set_value("What is the boiling point of liquid nitrogen in kelvin?").run()
    assert not at.exception
    assert "do not contain the answer" in at.warning[0].value
    assert "Closest passages" in texts(at) and "Eiffel Tower" in at.expander[0].label


@pytest.mark.slow
def test_unreachable_generator_is_one_line_error_not_a_traceback(eiffel_library, monkeypatch):
    monkeypatch.setenv("RAG_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens on port 9
    monkeypatch.setenv("RAG_OPENAI_API_KEY", "test")
    monkeypatch.setenv("RAG_OPENAI_MAX_RETRIES", "0")
    at = app(CHAT)
    at.sidebar.selectbox(key="generator").select("openai").run()
    at.chat_input[0].set_value("When did the Eiffel Tower open?").run()
    assert not at.exception
    assert len(at.error) == 1 and "\n" not in at.error[0].value and "Traceback" not in at.error[0].value
    assert "cannot connect to http://127.0.0.1:9/v1" in texts(at)
