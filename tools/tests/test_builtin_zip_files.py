"""zip_files: a multi-file round trip with clashing and hostile names."""

from __future__ import annotations

import io
import zipfile

from tools.builtin.zip_files import ZipFilesTool, safe_member_name, unique_member_names

from .factories import image_bytes, input_file


def test_round_trip_keeps_every_byte_and_every_file() -> None:
    # given files that share names, one of them binary, one trying to escape
    files = [
        input_file("report.txt", "première ligne\n".encode()),
        input_file("report.txt", b"second file, same name"),
        input_file("REPORT.txt", b"differs only by case"),
        input_file("../../etc/passwd", b"root:x:0:0"),
        input_file("photo.png", image_bytes("PNG"), "image/png"),
    ]
    # when
    result = ZipFilesTool().run(files=files, archive_name="bundle")
    # then
    [out] = result.files
    assert (out.filename, out.content_type) == ("bundle.zip", "application/zip")
    with zipfile.ZipFile(io.BytesIO(out.content)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == [
            "report.txt",
            "report (2).txt",
            "REPORT (3).txt",
            "_._etc_passwd",
            "photo.png",
        ]
        for name, file in zip(names, files, strict=True):
            assert archive.read(name) == file.content
            assert "/" not in name and not name.startswith(".")
        assert archive.getinfo("photo.png").compress_type == zipfile.ZIP_STORED
        assert archive.getinfo("report.txt").compress_type == zipfile.ZIP_DEFLATED
    assert "bundle.zip: 5 files" in result.text


def test_safe_member_names() -> None:
    assert safe_member_name("a/b\\c:d.txt") == "a_b_c_d.txt"
    assert safe_member_name("..\x00hidden") == "hidden"
    assert safe_member_name("") == "file"
    long = safe_member_name("x" * 500 + ".csv")
    assert len(long) == 120 and long.endswith(".csv")


def test_unique_names_without_extension() -> None:
    assert unique_member_names(["Makefile", "Makefile", "Makefile"]) == [
        "Makefile",
        "Makefile (2)",
        "Makefile (3)",
    ]
