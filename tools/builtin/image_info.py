"""image_info: what an image is, without decoding its pixels."""

from __future__ import annotations

from typing import Any

from PIL import Image

from tools.base import (
    IMAGE_EXTENSIONS,
    InputFile,
    Tool,
    ToolResult,
    object_schema,
    single_file_properties,
)

from .imaging import decoding, exif_orientation, open_image

# EXIF orientations 5..8 rotate by 90° or 270°: width and height swap when shown.
SWAPS_AXES = frozenset({5, 6, 7, 8})
ORIENTATION_NAMES = {
    1: "normal",
    2: "mirrored",
    3: "rotated 180°",
    4: "mirrored vertically",
    5: "mirrored and rotated 90° counter-clockwise",
    6: "rotated 90° clockwise",
    7: "mirrored and rotated 90° clockwise",
    8: "rotated 90° counter-clockwise",
}


def describe_image(image: Image.Image) -> dict[str, Any]:
    orientation = exif_orientation(image)
    width, height = image.size
    shown = (height, width) if orientation in SWAPS_AXES else (width, height)
    return {
        "format": image.format,
        "mode": image.mode,
        "width": width,
        "height": height,
        "exif_orientation": orientation,
        "displayed_width": shown[0],
        "displayed_height": shown[1],
        "frames": getattr(image, "n_frames", 1),
        "dpi": image.info.get("dpi"),
    }


def render_info(filename: str, info: dict[str, Any]) -> str:
    lines = [
        f"{filename}: {info['format']} image, {info['width']}x{info['height']} pixels, "
        f"mode {info['mode']}",
    ]
    orientation = info["exif_orientation"]
    if orientation is not None:
        name = ORIENTATION_NAMES.get(orientation, "unknown")
        lines.append(
            f"EXIF orientation {orientation} ({name}): displayed as "
            f"{info['displayed_width']}x{info['displayed_height']}"
        )
    if info["frames"] > 1:
        lines.append(f"{info['frames']} frames (animated)")
    if info["dpi"]:
        lines.append(f"dpi {round(info['dpi'][0])}x{round(info['dpi'][1])}")
    return "\n".join(lines)


class ImageInfoTool(Tool):
    name = "image_info"
    description = (
        "Describe an image file: format, width and height in pixels, color mode, EXIF "
        "orientation (and the size it is displayed at), frame count."
    )
    parameters = object_schema(single_file_properties("the image", accept=IMAGE_EXTENSIONS))

    def run(self, *, file: InputFile) -> ToolResult:
        image = open_image(file)
        with decoding(file):
            info = describe_image(image)
        return ToolResult(text=render_info(file.filename, info))
