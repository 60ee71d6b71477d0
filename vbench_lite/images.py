"""Image suites: photos as the first frame of image-to-video cases.

``images`` (``suites/images.toml``) bundles redistributable photos (public domain or
CC0, from scikit-image's sample data; the TOML names each one's source and licence),
each case a photo and a prompt describing a plausible continuation. A case's
conditioning frame is its photo fitted to the generator's ``RenderSpec`` by
``fit_image``: centre-cropped to the target aspect ratio, then resized, so a
576x1024 image-to-video model gets a full, undistorted frame.

Every case gives exactly one conditioning frame -- the photo -- whatever the
generator declares: an image-to-video model takes it, a text-only model sees the
prompt alone, and ``vbench-lite export`` writes it for outside pipelines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vbench_lite.case import SUITES_DIR, Case, RenderSpec, check_entries, read_suite_file
from vbench_lite.errors import UserError

IMAGES_DIR = SUITES_DIR / "images"
MAX_IMAGE_SIDE = 8192  # a fitted frame larger than this is a typo in the geometry, not a model


def fit_image(image: np.ndarray, height: int, width: int, center: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    """uint8 ``(h, w)`` or ``(h, w, 3)`` -> uint8 ``(height, width, 3)``: the largest
    crop with the target's aspect ratio, centred on ``center`` (fractions of the
    image's height and width; the middle by default) as far as the image allows,
    resized (area averaging when shrinking, bicubic when enlarging). Grey images
    become RGB."""
    import cv2

    if not (0 < height <= MAX_IMAGE_SIDE and 0 < width <= MAX_IMAGE_SIDE):
        raise UserError(f"cannot fit an image to {height}x{width}: use 1..{MAX_IMAGE_SIDE} pixels a side")
    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise UserError(f"fit_image wants a uint8 grey or RGB image, got {img.dtype} {img.shape}")
    h, w = img.shape[:2]
    # crop (ch, cw) with cw / ch == width / height, as large as fits
    if h * width >= w * height:  # too tall: keep the width
        cw, ch = w, max(1, round(w * height / width))
    else:  # too wide: keep the height
        ch, cw = h, max(1, round(h * width / height))
    cy, cx = center
    if not (0 <= cy <= 1 and 0 <= cx <= 1):
        raise UserError(f"image crop center {center!r}: use fractions in 0..1")
    top = min(max(round(cy * h - ch / 2), 0), h - ch)
    left = min(max(round(cx * w - cw / 2), 0), w - cw)
    crop = img[top:top + ch, left:left + cw]
    shrink = ch >= height and cw >= width
    out = cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
    return np.ascontiguousarray(out, dtype=np.uint8)


def load_image(path: Path) -> np.ndarray:
    """A bundled photo as uint8 RGB ``(h, w, 3)`` (grey files are expanded)."""
    import cv2

    try:
        data = np.frombuffer(path.read_bytes(), np.uint8)
    except OSError as exc:
        raise UserError(f"image {path} cannot be read ({exc.strerror})") from None
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        raise UserError(f"image {path} is not a readable image")
    return np.ascontiguousarray(img[..., ::-1])


@dataclass
class ImageSuite:
    """A suite of (photo, prompt) cases from a TOML file: ``[[image]]`` tables
    (``file``, ``title``, ``source``, ``license``) and ``[[case]]`` tables (``id``,
    ``image``, ``prompt``, optional ``group`` and ``tests``); files are relative to
    ``folder``."""

    name: str
    version: str
    images: dict[str, dict[str, str]]
    entries: list[dict[str, str]]
    folder: Path
    _pixels: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def from_file(cls, path: str | Path, folder: str | Path | None = None) -> "ImageSuite":
        path = Path(path)
        data = read_suite_file(path)
        folder = Path(folder) if folder is not None else path.parent / "images"
        images = {}
        for img in data.get("image") or []:
            if not isinstance(img, dict) or not all(isinstance(img.get(k), str) for k in ("file", "license")):
                raise UserError(f"suite file {path}: every [[image]] needs 'file' and 'license' (text)")
            center = img.get("center", [0.5, 0.5])
            if not (isinstance(center, list) and len(center) == 2
                    and all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in center)):
                raise UserError(f"suite file {path}, image {img['file']}: center must be [y, x], fractions in 0..1")
            images[img["file"]] = img
        entries = check_entries(data.get("case") or [], path, ("id", "image", "prompt"))
        for e in entries:
            if e["image"] not in images:
                raise UserError(f"suite file {path}, case {e['id']}: image {e['image']!r} has no [[image]] table "
                                "(its source and licence)")
            if not (folder / e["image"]).is_file():
                raise UserError(f"suite file {path}, case {e['id']}: image file {folder / e['image']} is missing")
        return cls(data.get("name", path.stem), str(data.get("version", "1")), images, entries, folder)

    def pixels(self, file: str) -> np.ndarray:
        """The photo ``file`` as RGB, read once."""
        if file not in self._pixels:
            self._pixels[file] = load_image(self.folder / file)
        return self._pixels[file]

    def cases(self, spec: RenderSpec) -> list[Case]:
        out = []
        for e in self.entries:
            img = self.images[e["image"]]
            frame = fit_image(self.pixels(e["image"]), spec.height, spec.width, tuple(img.get("center", (0.5, 0.5))))
            params = {"image": e["image"], "source": img.get("source", ""), "license": img["license"]}
            if e.get("tests"):
                params["tests"] = e["tests"]
            out.append(Case(
                case_id=e["id"], suite=self.name, prompt=e["prompt"], group=e.get("group", ""),
                num_frames=spec.num_frames, height=spec.height, width=spec.width, fps=spec.fps,
                cond_frames=frame[None], params=params,
            ))
        return out


def image_suite() -> ImageSuite:
    """``images``: 20 cases over 10 bundled public-domain / CC0 photos."""
    return ImageSuite.from_file(SUITES_DIR / "images.toml", IMAGES_DIR)
