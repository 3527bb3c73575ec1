"""Documents in the chat's context: whole when they fit (page-labelled extracted text),
searched per message when they do not, ``#tag`` retrieval, and citations.

Documents are real PDFs (matplotlib) uploaded through ``file_upload`` to a live
s3mock and extracted by the real worker (``files_worker --batch``).
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from django.core.management import call_command

from chat.context import context_build
from chat.models import ChatSession, Message
from chat.retrieval import message_tags
from chat.services import message_create, session_create
from files.models import ShareAccess, StoredFile
from files.services import file_update, file_upload
from files.sharing.services import share_create_for_file, share_create_for_tag, share_revoke
from files.tests import documents_factory as docs

with_documents = pytest.mark.django_db(transaction=True)
on_s3mock = pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True)

FILLER = "The committee reviewed ordinary matters of budget and schedule at length. " * 6


def page(text: str) -> str:
    """A page's text wrapped to stay on the page (matplotlib does not wrap)."""
    return "\n".join(textwrap.wrap(f"{text} {FILLER}", 70))


def pdf(owner: Any, filename: str, pages: list[str], **tags: str) -> StoredFile:
    content = docs.pdf_with_pages([page(text) for text in pages])
    stored = file_upload(owner=owner, content=content, filename=filename)
    if tags:
        file_update(file=stored, tags=tags)
    return stored


def run_worker() -> None:
    call_command("files_worker", batch=True, interval=0, verbosity=0)


def ask(user: Any, chat: ChatSession, content: str) -> Any:
    message = message_create(session=chat, role=Message.Role.USER, content=content)
    return context_build(user=user, session=chat, message=message)


def report_pages() -> list[str]:
    return [
        "Opening remarks.",
        "Staffing plans.",
        "Facilities review.",
        "The quokka enclosure opens in spring.",
        "Closing remarks.",
        "Appendix of tables.",
    ]


@with_documents
@on_s3mock
def test_a_tagged_pdf_that_fits_goes_whole_as_page_labelled_text(
    s3_backend: Any, user: Any
) -> None:
    # given a tagged three-page PDF, extracted
    report = pdf(user, "report.pdf", ["intro alpha", "middle bravo", "the quokka lives here"])
    file_update(file=report, tagged=True)
    run_worker()
    # when the user asks about it
    built = ask(user, session_create(owner=user), "where does the quokka live?")
    # then its text goes whole, labelled by page, and the matching page is cited
    system = built.openai_messages()[0]["content"]
    assert '<file name="report.pdf"' in system and 'pages="3"' in system
    assert "[page 1]\nintro alpha" in system and "[page 3]\nthe quokka lives here" in system
    assert [(c["filename"], c["page"]) for c in built.citation_list()] == [("report.pdf", 3)]
    assert built.passages == []  # nothing needed searching


@with_documents
@on_s3mock
def test_a_pdf_too_large_for_the_budget_is_searched_and_its_passage_labelled(
    s3_backend: Any, user: Any, settings: Any
) -> None:
    # given a tagged six-page PDF larger than the whole context budget
    settings.CHAT_CONTEXT_MAX_CHARS = 1000
    report = pdf(user, "report.pdf", report_pages())
    file_update(file=report, tagged=True)
    run_worker()
    # when the user asks about page 4's subject
    built = ask(user, session_create(owner=user), "Is the quokka enclosure ready yet?")
    # then only the matching passage is given, labelled with file and page, and cited
    system = built.openai_messages()[0]["content"]
    assert "Files too large to include whole" in system and "[page 1]" not in system
    assert f'<passage file="report.pdf" id="{report.pk}" page="4">' in system
    assert "quokka enclosure opens in spring" in system and "Opening remarks" not in system
    assert built.citation_list()[0]["page"] == 4
    assert "quokka" in built.citation_list()[0]["snippet"]


@with_documents
@on_s3mock
def test_a_message_matching_nothing_gets_the_openings_of_searched_files(
    s3_backend: Any, user: Any, settings: Any
) -> None:
    settings.CHAT_CONTEXT_MAX_CHARS = 1000
    file_update(file=pdf(user, "report.pdf", report_pages()), tagged=True)
    run_worker()
    built = ask(user, session_create(owner=user), "summarise it")
    assert [(p.filename, p.page) for p in built.passages] == [("report.pdf", 1)]
    assert built.citations == []  # an opening is context, not an answer to cite


@with_documents
@on_s3mock
def test_hash_tag_brings_the_users_files_with_that_tag_and_no_one_elses(
    s3_backend: Any, user: Any, other_user: Any
) -> None:
    # given the user's untagged PDF carrying the tag "project", another untagged PDF,
    # and another user's PDF with the same tag and the same words
    pdf(user, "plan.pdf", ["the wombat budget is approved"], project="apollo")
    pdf(user, "unrelated.pdf", ["the wombat budget is unrelated"])
    theirs = pdf(other_user, "theirs.pdf", ["the wombat budget secret"], project="x")
    file_update(file=theirs, tagged=True)
    run_worker()
    chat = session_create(owner=user)
    # when a message names #project
    built = ask(user, chat, "what about the wombat budget in #project?")
    # then the tagged file is in that message's context, the others are not
    assert [(f.name, f.reason) for f in built.files] == [("plan.pdf", "tag #project")]
    system = built.openai_messages()[0]["content"]
    assert "wombat budget is approved" in system
    assert "secret" not in system and "unrelated" not in system
    assert [c["filename"] for c in built.citation_list()] == ["plan.pdf"]
    # and a message without the tag does not bring it
    assert ask(user, chat, "what about the wombat budget?").files == []


@with_documents
@on_s3mock
def test_another_users_documents_never_reach_retrieval(
    s3_backend: Any, user: Any, other_user: Any, settings: Any
) -> None:
    settings.CHAT_CONTEXT_MAX_CHARS = 1000
    file_update(file=pdf(user, "mine.pdf", report_pages()), tagged=True)
    theirs = pdf(other_user, "theirs.pdf", ["quokka enclosure secret plans"] * 6, project="x")
    file_update(file=theirs, tagged=True)
    run_worker()
    built = ask(user, session_create(owner=user), "quokka enclosure #project")
    assert {p.filename for p in built.passages} == {"mine.pdf"}
    assert {c["filename"] for c in built.citation_list()} == {"mine.pdf"}
    assert "secret plans" not in built.openai_messages()[0]["content"]


@with_documents
@on_s3mock
def test_a_tag_shared_with_the_user_brings_its_passages_until_the_share_is_revoked(
    s3_backend: Any, user: Any, other_user: Any, settings: Any
) -> None:
    # given alice's report, too large for the budget, carrying "project", shared by tag
    # with bob; and alice's untagged plan with the same words, not shared
    settings.CHAT_CONTEXT_MAX_CHARS = 1000
    report = pdf(user, "report.pdf", report_pages(), project="apollo")
    pdf(user, "plan.pdf", ["the quokka enclosure secret plan"] * 6)
    share = share_create_for_tag(owner=user, tag="project", email=other_user.email)
    run_worker()
    chat = session_create(owner=other_user)
    # when bob names #project in his own chat
    built = ask(other_user, chat, "Is the quokka enclosure ready yet? #project")
    # then alice's report is searched for him: the matching passage, labelled and cited
    assert [(f.name, f.reason) for f in built.files] == [("report.pdf", "tag #project")]
    system = built.openai_messages()[0]["content"]
    assert f'<passage file="report.pdf" id="{report.pk}" page="4">' in system
    assert "quokka enclosure opens in spring" in system and "secret plan" not in system
    assert [(c["filename"], c["page"]) for c in built.citation_list()][:1] == [("report.pdf", 4)]
    assert ShareAccess.objects.filter(user=other_user, file_id=report.pk).exists()
    # when alice revokes, the next message of the same chat no longer has it
    share_revoke(share=share)
    again = ask(other_user, chat, "Is the quokka enclosure ready yet? #project")
    assert again.files == [] and again.passages == [] and again.citation_list() == []
    assert "quokka enclosure opens" not in again.openai_messages()[0]["content"]


@with_documents
@on_s3mock
def test_a_shared_document_goes_whole_or_searched_like_ones_own(
    s3_backend: Any, user: Any, other_user: Any
) -> None:
    # given alice's short report shared with bob, who names it by a tag alice gave it
    report = pdf(user, "report.pdf", ["intro alpha", "the quokka lives here"], team="x")
    share_create_for_file(file=report, email=other_user.email)
    run_worker()
    built = ask(other_user, session_create(owner=other_user), "where is the quokka? #team")
    # then its extracted text goes whole, page by page (read through the share)
    system = built.openai_messages()[0]["content"]
    assert "[page 1]\nintro alpha" in system and "[page 2]\nthe quokka lives here" in system
    assert [(c["filename"], c["page"]) for c in built.citation_list()] == [("report.pdf", 2)]


def test_message_tags_are_read_from_words_not_from_urls_or_entities() -> None:
    assert message_tags("see #report and #Q3-plan, #report again") == ["report", "Q3-plan"]
    assert message_tags("a#b https://x.org/#frag &#39; #") == []
