"""Optional embeddings: the worker stores chunk vectors from a loopback embeddings
endpoint, retrieval fuses vector and full-text ranks, and a failing or unreachable
endpoint degrades to full text with a WARNING, never failing a chat or a job."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from chat.services import session_create
from chat.tests.fake_llm import FakeLLM
from chat.tests.test_retrieval import ask, pdf, run_worker
from files.documents import embeddings as embeddings_module
from files.documents.embeddings import reciprocal_rank_fusion
from files.documents.models import ChunkVector
from files.models import StoredFile
from files.services import file_update
from files.sharing.services import share_create_for_file, share_revoke

with_documents = pytest.mark.django_db(transaction=True)
on_s3mock = pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True)

PAGES = ["banana bread recipe for the weekend", "automobile maintenance schedule twice a year"]
QUESTION = "when is my car serviced?"  # no word of it is in the document


@pytest.fixture(autouse=True)
def endpoint_not_backed_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings_module, "_query_failed_at", None)


@pytest.fixture
def embeddings(settings: Any, fake_llm: FakeLLM) -> FakeLLM:
    fake_llm.concepts = {"car": 0, "automobile": 0, "banana": 1, "bread": 1}
    settings.EMBEDDINGS_BASE_URL = fake_llm.base_url
    settings.EMBEDDINGS_MODEL = "fake-embeddings"
    settings.EMBEDDINGS_TIMEOUT_S = 5.0
    return fake_llm


def tagged_manual(user: Any) -> StoredFile:
    manual = pdf(user, "manual.pdf", PAGES)
    file_update(file=manual, tagged=True)
    run_worker()
    return manual


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    assert reciprocal_rank_fusion([[1, 2, 3], [3, 4]]) == [3, 1, 2, 4]
    assert reciprocal_rank_fusion([[], [7]]) == [7]


@with_documents
@on_s3mock
def test_vectors_find_a_passage_full_text_cannot(
    s3_backend: Any, user: Any, embeddings: FakeLLM
) -> None:
    # given a tagged manual whose chunks the worker embedded
    manual = tagged_manual(user)
    assert ChunkVector.objects.filter(chunk__file=manual, model="fake-embeddings").count() == 2
    # when the user asks with a synonym the text does not contain
    built = ask(user, session_create(owner=user), QUESTION)
    # then the vector ranking finds the page, and it is cited
    assert [(c["filename"], c["page"]) for c in built.citation_list()][:1] == [("manual.pdf", 2)]
    assert any(r["path"] == "/v1/embeddings" for r in embeddings.requests)


@with_documents
@on_s3mock
def test_without_embeddings_the_synonym_finds_nothing(s3_backend: Any, user: Any) -> None:
    tagged_manual(user)
    assert ask(user, session_create(owner=user), QUESTION).citation_list() == []


@with_documents
@on_s3mock
def test_a_failing_endpoint_degrades_to_full_text_with_a_warning(
    s3_backend: Any, user: Any, embeddings: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    # given vectors stored, then an endpoint that fails every request
    tagged_manual(user)
    embeddings.embeddings_status = 500
    # when a question that full text can answer is asked
    with caplog.at_level(logging.WARNING, logger="files.documents.embeddings"):
        built = ask(user, session_create(owner=user), "automobile maintenance?")
    # then full text answers it and the failure is a warning
    assert [(c["filename"], c["page"]) for c in built.citation_list()] == [("manual.pdf", 2)]
    assert "ranking by full text only" in caplog.text
    # and the next question does not wait on the endpoint again (backed off)
    asked = len(embeddings.requests)
    ask(user, session_create(owner=user), "automobile maintenance again?")
    assert len(embeddings.requests) == asked


@with_documents
@on_s3mock
def test_an_unreachable_endpoint_never_fails_the_extraction(
    s3_backend: Any, user: Any, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.EMBEDDINGS_BASE_URL = "http://127.0.0.1:9/v1"  # nothing listens on port 9
    settings.EMBEDDINGS_TIMEOUT_S = 2.0
    with caplog.at_level(logging.WARNING, logger="files.documents.embeddings"):
        manual = tagged_manual(user)
    manual.refresh_from_db()
    assert manual.text_status == StoredFile.TextStatus.READY
    assert not ChunkVector.objects.exists()
    assert "stays full-text only" in caplog.text
    built = ask(user, session_create(owner=user), "automobile maintenance?")
    assert [c["page"] for c in built.citation_list()] == [2]


@with_documents
@on_s3mock
def test_vectors_of_a_file_shared_with_the_user_rank_for_them_until_revoked(
    s3_backend: Any, user: Any, other_user: Any, embeddings: FakeLLM
) -> None:
    # given alice's manual, embedded, carrying the tag "cars" and shared with bob
    manual = pdf(user, "manual.pdf", PAGES, cars="yes")
    run_worker()
    share = share_create_for_file(file=manual, email=other_user.email)
    chat = session_create(owner=other_user)
    # when bob asks with the synonym, naming the tag
    built = ask(other_user, chat, f"{QUESTION} #cars")
    # then the vector ranking finds alice's page for him
    assert [(c["filename"], c["page"]) for c in built.citation_list()][:1] == [("manual.pdf", 2)]
    # and once the share is revoked, nothing of it comes back
    share_revoke(share=share)
    assert ask(other_user, chat, f"{QUESTION} #cars").citation_list() == []
