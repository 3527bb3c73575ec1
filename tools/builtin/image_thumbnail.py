"""image_thumbnail: a small, upright copy of an image as PNG or JPEG."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from tools.base import (
    IMAGE_EXTENSIONS,
    GeneratedFile,
    InputFile,
    Tool,
    ToolResult,
    object_schema,
    single_file_properties,
)

from .imaging import decoding, open_image

MIN_EDGE = 16
MAX_EDGE = 2048
DEFAULT_EDGE = 256
FORMATS = {"png": ("PNG", "image/png"), "jpeg": ("JPEG", "image/jpeg")}


def _for_jpeg(image: Image.Image) -> Image.Image:
    """JPEG has no alpha: flatten transparency onto white instead of onto black."""
    if image.mode in {"RGBA", "LA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image if image.mode in {"RGB", "L"} else image.convert("RGB")


def make_thumbnail(image: Image.Image, size: int, fmt: str) -> bytes:
    """Decode, turn upright per EXIF, shrink to fit ``size``x``size``, encode."""
    image.draft("RGB", (size * 2, size * 2))  # JPEG: let the decoder downscale cheaply
    upright = ImageOps.exif_transpose(image)
    upright.thumbnail((size, size), Image.Resampling.LANCZOS)
    pil_format, _content_type = FORMATS[fmt]
    if fmt == "jpeg":
        upright = _for_jpeg(upright)
    elif upright.mode not in {"RGB", "RGBA", "L", "LA", "P", "1"}:
        upright = upright.convert("RGBA")  # e.g. CMYK cannot be written as PNG
    buffer = io.BytesIO()
    options = {"quality": 85, "optimize": True} if fmt == "jpeg" else {"optimize": True}
    upright.save(buffer, format=pil_format, **options)
    return buffer.getvalue()


class ImageThumbnailTool(Tool):
    name = "image_thumbnail"
    description = (
        f"Make a thumbnail of an image: turned upright per its EXIF orientation and "
        f"shrunk so its longest edge is at most `size` pixels ({MIN_EDGE}-{MAX_EDGE}, "
        f"default {DEFAULT_EDGE}), as PNG or JPEG."
    )
    parameters = object_schema(
        {
            **single_file_properties("the image", accept=IMAGE_EXTENSIONS),
            "size": {
                "type": "integer",
                "minimum": MIN_EDGE,
                "maximum": MAX_EDGE,
                "description": "Longest edge of the thumbnail in pixels.",
            },
            "format": {"type": "string", "enum": list(FORMATS), "description": "Output format."},
        }
    )

    def run(self, *, file: InputFile, size: int = DEFAULT_EDGE, format: str = "png") -> ToolResult:
        image = open_image(file)
        with decoding(file):
            content = make_thumbnail(image, size, format)
        name = f"{file.stem}_thumb_{size}.{'jpg' if format == 'jpeg' else 'png'}"
        with Image.open(io.BytesIO(content)) as thumb:
            width, height = thumb.size
        return ToolResult(
            text=f"Thumbnail of {file.filename}: {width}x{height} {format.upper()}, {name}",
            files=[GeneratedFile(name, content, FORMATS[format][1])],
        )
