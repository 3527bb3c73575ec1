"""search_files and text_search over extracted text, run through the executor (the one
ownership check) on real PDFs extracted by the real worker, stored in a live s3mock."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from chatui.errors import FileNotFound, InvalidToolArguments
from files.models import ShareAccess
from files.services import file_update, file_upload
from files.sharing.services import share_create_for_tag, share_revoke
from files.tests import documents_factory as docs
from tools.executor import tool_run

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True),
]


@pytest.fixture
def library(s3_backend: Any, user: Any, other_user: Any) -> dict[str, Any]:
    """Alice's report (quokka on page 2, tagged project) and notes; Bob's own quokka."""
    report = file_upload(
        owner=user,
        content=docs.pdf_with_pages(["intro", "the quokka enclosure", "end"]),
        filename="report.pdf",
    )
    file_update(file=report, tags={"project": "apollo"})
    notes = file_upload(owner=user, content=b"a quokka note\n", filename="notes.txt")
    theirs = file_upload(
        owner=other_user,
        content=docs.pdf_with_pages(["bob quokka secret"]),
        filename="bob-secret.pdf",
    )
    call_command("files_worker", batch=True, interval=0, verbosity=0)
    return {"report": report, "notes": notes, "theirs": theirs}


def search(user: Any, **arguments: Any) -> str:
    return tool_run(user=user, name="search_files", arguments=arguments).text


def test_search_files_finds_passages_with_file_and_page(user: Any, library: Any) -> None:
    text = search(user, query="quokka enclosure")
    assert text.startswith("2 passages for 'quokka enclosure':")
    assert f"report.pdf, page 2 (file id {library['report'].pk}):\nthe quokka enclosure" in text
    assert "notes.txt, page 1" in text
    assert "bob" not in text


def test_search_files_within_a_tag_or_chosen_files(user: Any, library: Any) -> None:
    tagged = search(user, query="quokka", tag="project")
    assert "report.pdf" in tagged and "notes.txt" not in tagged
    assert "in the files tagged 'project'" in tagged
    chosen = search(user, query="quokka", file_ids=[str(library["notes"].pk)])
    assert "notes.txt" in chosen and "report.pdf" not in chosen
    assert search(user, query="wombat").startswith("No passage matches 'wombat'")


def test_search_files_never_reaches_another_users_documents(
    user: Any, other_user: Any, library: Any
) -> None:
    # another user's file id is not found, exactly like a missing one
    with pytest.raises(FileNotFound):
        search(user, query="quokka", file_ids=[str(library["theirs"].pk)])
    # another user's tag matches none of this user's files
    file_update(file=library["theirs"], tags={"bobtag": "x"})
    with pytest.raises(InvalidToolArguments, match="bobtag"):
        search(user, query="quokka", tag="bobtag")
    # and Bob, searching everything, sees only his own document
    theirs = search(other_user, query="quokka")
    assert "bob-secret.pdf" in theirs and "report.pdf" not in theirs


def test_search_files_reaches_files_shared_with_the_user_until_revoked(
    user: Any, other_user: Any, library: Any
) -> None:
    # given alice's report shared with bob by its tag "project"
    share = share_create_for_tag(owner=user, tag="project", email=other_user.email)
    report = library["report"]
    # then bob's search of everything, of the tag, and of the file by id finds it
    everything = search(other_user, query="quokka enclosure")
    assert "report.pdf, page 2" in everything and "bob-secret.pdf" in everything
    assert "notes.txt" not in everything  # not shared
    assert "report.pdf, page 2" in search(other_user, query="quokka", tag="project")
    assert "report.pdf" in search(other_user, query="quokka", file_ids=[str(report.pk)])
    assert ShareAccess.objects.filter(user=other_user, file_id=report.pk).exists()
    # when alice revokes: gone from everything, the tag is unknown, the id not found
    share_revoke(share=share)
    assert "report.pdf" not in search(other_user, query="quokka enclosure")
    with pytest.raises(InvalidToolArguments, match="project"):
        search(other_user, query="quokka", tag="project")
    with pytest.raises(FileNotFound):
        search(other_user, query="quokka", file_ids=[str(report.pk)])


def test_text_search_reads_a_pdf_by_its_extracted_text(user: Any, library: Any) -> None:
    arguments = {"file_ids": [str(library["report"].pk)], "pattern": "quokka"}
    text = tool_run(user=user, name="text_search", arguments=arguments).text
    assert text.splitlines() == [
        "1 matching line for 'quokka' in 1 of 1 file:",
        "report.pdf p.2:1: the quokka enclosure",
    ]
