"""image_info and image_thumbnail on real PNG and JPEG bytes written with EXIF."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from chatui.errors import ImageTooLarge, ToolError
from tools.builtin import imaging
from tools.builtin.image_info import ImageInfoTool
from tools.builtin.image_thumbnail import ImageThumbnailTool

from .factories import image_bytes, input_file


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_info_reports_size_mode_and_exif_orientation(fmt: str) -> None:
    content = image_bytes(fmt, orientation=6)
    file = input_file(f"photo.{fmt.lower()}", content, f"image/{fmt.lower()}")
    text = ImageInfoTool().run(file=file).text
    assert f"{fmt} image, 200x100 pixels, mode RGB" in text
    assert "EXIF orientation 6 (rotated 90° clockwise): displayed as 100x200" in text


def test_info_without_exif_has_no_orientation_line() -> None:
    text = ImageInfoTool().run(file=input_file("a.png", image_bytes("PNG", mode="RGBA"))).text
    assert "mode RGBA" in text and "orientation" not in text


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_thumbnail_is_upright_and_fits(fmt: str) -> None:
    # given a 200x100 image whose EXIF says "rotate 90° clockwise to display"
    file = input_file(f"photo.{fmt.lower()}", image_bytes(fmt, orientation=6))
    # when
    result = ImageThumbnailTool().run(file=file, size=50, format="png")
    # then the thumbnail is portrait (the EXIF rotation was applied) and fits 50px
    [out] = result.files
    thumb = Image.open(io.BytesIO(out.content))
    assert thumb.format == "PNG" and thumb.size == (25, 50) and thumb.mode == "RGB"
    # the left (red) half is now on top, the right (blue) half at the bottom
    red, _g, blue = thumb.getpixel((12, 5))
    assert red > 200 and blue < 60
    red, _g, blue = thumb.getpixel((12, 45))
    assert blue > 200 and red < 60
    assert out.filename == "photo_thumb_50.png" and "25x50 PNG" in result.text


def test_thumbnail_jpeg_out_flattens_alpha() -> None:
    file = input_file("a.png", image_bytes("PNG", size=(300, 300), mode="RGBA"))
    [out] = ImageThumbnailTool().run(file=file, size=64, format="jpeg").files
    thumb = Image.open(io.BytesIO(out.content))
    assert (thumb.format, thumb.mode, thumb.size) == ("JPEG", "RGB", (64, 64))
    assert out.content_type == "image/jpeg" and out.filename.endswith(".jpg")


def test_small_images_are_not_enlarged() -> None:
    [out] = ImageThumbnailTool().run(file=input_file("s.png", image_bytes("PNG", (20, 10)))).files
    assert Image.open(io.BytesIO(out.content)).size == (20, 10)


def test_pixel_limit_refuses_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imaging, "MAX_PIXELS", 10_000)
    file = input_file("big.png", image_bytes("PNG", (200, 100)))
    for tool in (ImageInfoTool(), ImageThumbnailTool()):
        with pytest.raises(ImageTooLarge, match="over the limit of 10,000 pixels"):
            tool.run(file=file)


def test_pillow_decompression_bomb_becomes_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a 1-bit 3000x3000 PNG (a few KB) and Pillow's bomb limit lowered below it
    content = image_bytes("PNG", (3000, 3000), mode="1")
    assert len(content) < 10_000
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)
    # when / then: Pillow's warning (over the limit) and error (2x over) are both typed
    with pytest.raises(ImageTooLarge) as excinfo:
        ImageThumbnailTool().run(file=input_file("bomb.png", content))
    assert excinfo.value.code == "image_too_large"
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5_000_000)
    with pytest.raises(ImageTooLarge):
        ImageInfoTool().run(file=input_file("bomb.png", content))


def test_not_an_image() -> None:
    with pytest.raises(ToolError, match="not an image format"):
        ImageInfoTool().run(file=input_file("x.png", b"hello"))


def test_truncated_image_is_a_tool_error() -> None:
    content = image_bytes("JPEG", (400, 400))
    with pytest.raises(ToolError, match="could not be decoded"):
        ImageThumbnailTool().run(file=input_file("t.jpg", content[: len(content) // 3]))
