"""Weights manager: the one place that finds a pretrained backbone file.

``resolve(backbone_id, path=None)`` looks, in order, at

1. an explicit ``path`` (a metric's constructor keyword or a CLI option);
2. the cache directory ``$VBENCH_LITE_HOME/weights/<file>`` (default: the platform
   user cache dir, e.g. ``~/.cache/vbench-lite/weights`` on Linux);
3. a download with checksum -- **only** when ``VBENCH_LITE_ALLOW_DOWNLOAD=1`` and
   neither ``HF_HUB_OFFLINE`` nor ``VBENCH_LITE_OFFLINE`` is set. By default we assume
   offline, so no test and no nightly job ever hangs on the network or downloads.

When all three fail it raises ``BackboneUnavailable`` (a ``UserError``) with one line
naming the file and the directory to put it in; this takes microseconds (a stat).
A failed download is remembered for the process, so a run over many videos reports
it once instead of retrying per video.

A file that is present is also *checked*, once per process (memoised per path, size
and mtime), so a corrupt file skips its metrics for the whole run with the reason
instead of failing on every video: its header must parse (a torch zip archive's
central directory, or a safetensors JSON header whose offsets match the file size),
and a cached file of a backbone with a pinned digest must match it. The check reads
the header, or, for a pinned file, the file once (RAFT: 5-21 MB).

``availability(backbone_id)`` is the fast check metrics use for
``unavailable_reason()``: None when the backbone can be used, else the reason.
``backbone_status(backbone_id)`` says available / corrupt / missing / downloadable,
and whether the file is pinned (``vbench-lite list backbones``).
``load_state_dict(path)`` reads a checkpoint safely (safetensors, or
``torch.load(weights_only=True)``), never unpickling arbitrary objects.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from vbench_lite.errors import UserError

log = logging.getLogger(__name__)

ENV_HOME = "VBENCH_LITE_HOME"
ENV_ALLOW_DOWNLOAD = "VBENCH_LITE_ALLOW_DOWNLOAD"
OFFLINE_ENVS = ("HF_HUB_OFFLINE", "VBENCH_LITE_OFFLINE")
DOWNLOAD_TIMEOUT_S = 30  # per socket operation; a stalled server fails instead of hanging
SAFETENSORS_MAX_HEADER = 100 << 20  # the safetensors library refuses JSON headers above 100 MB
# the first pickle of a legacy (pre-zip) torch.save file is this magic number as a 10-byte long
TORCH_LEGACY_MAGIC = (0x1950A86A20F9469CFC6C).to_bytes(10, "little")


class BackboneUnavailable(UserError):
    """A backbone's weights file cannot be found (and may not be downloaded)."""


@dataclass(frozen=True)
class BackboneSpec:
    """A pretrained backbone file.

    ``sha256``: the full hex digest, or a hex *prefix* of it (torchvision names its
    files ``<name>-<first 8 hex of sha256>.pth``), or None when no published digest
    could be confirmed (then the file is not checked). ``format``: "torch" (a
    ``torch.save`` state dict) or "safetensors".
    """

    id: str
    filename: str
    url: str
    sha256: str | None
    format: str
    description: str


BACKBONES: dict[str, BackboneSpec] = {
    spec.id: spec
    for spec in (
        # Kinetics-400 I3D converted to PyTorch in the piergiaj/pytorch-i3d layout, the
        # file VideoGPT/TATS download as i3d_pretrained_400.pt from Google Drive id
        # 1mQK8KD8G6UWRa5t87SRMm5PVXtlpneJT (wilson1yan/VideoGPT videogpt/download.py).
        # No published sha256 could be confirmed, so it is not checked; the file's own
        # digest is part of the FVD protocol string instead. Drive may answer large
        # files with an HTML confirmation page, which the download rejects.
        BackboneSpec(
            "i3d-k400", "i3d_pretrained_400.pt",
            "https://drive.google.com/uc?export=download&id=1mQK8KD8G6UWRa5t87SRMm5PVXtlpneJT",
            None, "torch", "I3D (Inception-v1) Kinetics-400 classifier for FVD (VideoGPT/TATS file)",
        ),
        # open_clip's pretrained table: ViT-B-32 laion2b_s34b_b79k -> hf_hub
        # laion/CLIP-ViT-B-32-laion2B-s34B-b79K; HF_SAFE_WEIGHTS_NAME is
        # open_clip_model.safetensors (open_clip/pretrained.py, constants.py).
        # sha256 of the LFS object not confirmed here: not checked.
        BackboneSpec(
            "clip-vit-b-32", "open_clip_model.safetensors",
            "https://huggingface.co/laion/CLIP-ViT-B-32-laion2B-s34B-b79K/resolve/main/open_clip_model.safetensors",
            None, "safetensors", "open_clip ViT-B-32 trained on LAION-2B (laion2b_s34b_b79k)",
        ),
        # DINO ViT-S/16 teacher backbone (facebookresearch/dino README, "ViT-S/16
        # backbone only"). No digest published: not checked.
        BackboneSpec(
            "dino-vits16", "dino_deitsmall16_pretrain.pth",
            "https://dl.fbaipublicfiles.com/dino/dino_deitsmall16_pretrain/dino_deitsmall16_pretrain.pth",
            None, "torch", "DINO self-supervised ViT-S/16 image features",
        ),
        # VBench's subject_consistency backbone: torch.hub ``dino_vitb16`` of
        # facebookresearch/dino (hubconf.py lines 52-61 load this URL without a hash;
        # vbench/utils.py lines 295-321 name the same file). No digest published: not checked.
        BackboneSpec(
            "dino-vitb16", "dino_vitbase16_pretrain.pth",
            "https://dl.fbaipublicfiles.com/dino/dino_vitbase16_pretrain/dino_vitbase16_pretrain.pth",
            None, "torch", "DINO self-supervised ViT-B/16 (VBench subject consistency)",
        ),
        # VBench's background_consistency backbone: OpenAI CLIP ``ViT-B/32`` (vbench/utils.py
        # lines 244-254), a TorchScript archive. OpenAI's clip.py line 36 gives the URL and
        # line 47 checks the file's sha256 against the URL's second-to-last segment.
        BackboneSpec(
            "clip-vit-b-32-openai", "ViT-B-32.pt",
            "https://openaipublic.azureedge.net/clip/models/"
            "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt",
            "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af", "torch",
            "OpenAI CLIP ViT-B/32 (VBench background consistency)",
        ),
        # torchvision Raft_Large_Weights.C_T_SKHT_V2 / Raft_Small_Weights.C_T_V2
        # (torchvision/models/optical_flow/raft.py); the suffix is the sha256 prefix
        # that torch.hub.download_url_to_file(hash_prefix=...) checks.
        BackboneSpec(
            "raft-large", "raft_large_C_T_SKHT_V2-ff5fadd5.pth",
            "https://download.pytorch.org/models/raft_large_C_T_SKHT_V2-ff5fadd5.pth",
            "ff5fadd5", "torch", "torchvision RAFT-large optical flow (C+T+S+K+H, V2)",
        ),
        BackboneSpec(
            "raft-small", "raft_small_C_T_V2-01064c6d.pth",
            "https://download.pytorch.org/models/raft_small_C_T_V2-01064c6d.pth",
            "01064c6d", "torch", "torchvision RAFT-small optical flow (C+T, V2)",
        ),
        # princeton-vl RAFT trained on FlyingChairs + FlyingThings3D, the file VBench's
        # dynamic_degree loads (vbench 0.1.5 utils.py:277-287: models.zip from Dropbox,
        # member models/raft-things.pth; VBench keeps it at
        # ~/.cache/vbench/raft_model/models/raft-things.pth). The URL is that zip: unzip
        # the member into the weights folder. No published digest: header-checked only.
        # metrics/_vbench_raft.py maps its keys onto torchvision's raft_large.
        BackboneSpec(
            "raft-things", "raft-things.pth",
            "https://dl.dropboxusercontent.com/s/4j4z58wuv8o0mfz/models.zip",
            None, "torch", "princeton-vl RAFT (C+T), VBench's dynamic_degree flow (member of models.zip)",
        ),
        # AMT-S frame interpolation, the checkpoint VBench's motion_smoothness loads
        # (vbench 0.1.5 utils.py:263-274: huggingface lalala125/AMT, amt-s.pth, a
        # {"state_dict": ...} file). No published digest confirmed: header-checked only.
        BackboneSpec(
            "amt-s", "amt-s.pth", "https://huggingface.co/lalala125/AMT/resolve/main/amt-s.pth",
            None, "torch", "AMT-S frame interpolation (VBench motion smoothness)",
        ),
    )
}

# backbone id -> reason a download failed in this process (no retry storm)
_FAILED: dict[str, str] = {}
_WARNED: set[str] = set()
_SHA_MEMO: dict[tuple[str, int, int], str] = {}
_CHECK_MEMO: dict[tuple, str | None] = {}  # (path, size, mtime, format, digest) -> problem


def spec(backbone_id: str) -> BackboneSpec:
    try:
        return BACKBONES[backbone_id]
    except KeyError:
        raise UserError(f"unknown backbone {backbone_id!r}; known: {', '.join(sorted(BACKBONES))}") from None


def weights_dir() -> Path:
    """``$VBENCH_LITE_HOME/weights``, else ``<user cache dir>/vbench-lite/weights``."""
    home = os.environ.get(ENV_HOME)
    if home:
        return Path(home).expanduser() / "weights"
    import platformdirs

    return Path(platformdirs.user_cache_dir("vbench-lite")) / "weights"


def download_allowed() -> bool:
    """True only when ``VBENCH_LITE_ALLOW_DOWNLOAD=1`` and no offline switch is set.
    Offline is the default so nothing ever blocks on the network unasked."""
    if os.environ.get(ENV_ALLOW_DOWNLOAD, "") != "1":
        return False
    return not any(os.environ.get(k, "").strip().lower() in ("1", "true", "yes", "on") for k in OFFLINE_ENVS)


def _missing_message(s: BackboneSpec, directory: Path) -> str:
    return (
        f"backbone {s.id}: weights file {s.filename} not found; put it in {directory} "
        f"(get it from {s.url}) or set {ENV_ALLOW_DOWNLOAD}=1 to download it"
    )


def availability(backbone_id: str, path: str | os.PathLike | None = None) -> str | None:
    """None when ``resolve`` will succeed and give a usable file (present and passing
    ``file_problem``, or download allowed and not yet failed), else a one-line reason.
    Never downloads; a stat, and a header read memoised per process."""
    s = spec(backbone_id)
    if path is not None:
        p = Path(path).expanduser()
        if not p.is_file():
            return f"backbone {s.id}: weights file {p} does not exist"
        problem = file_problem(p, _format_of(p))
        return f"backbone {s.id}: weights file {p} is unusable: {problem}" if problem else None
    directory = weights_dir()
    target = directory / s.filename
    if target.is_file():
        problem = file_problem(target, s.format, s.sha256)
        return _corrupt_message(s, target, problem) if problem else None
    if backbone_id in _FAILED:
        return _FAILED[backbone_id]
    if download_allowed():
        return None
    return _missing_message(s, directory)


def _corrupt_message(s: BackboneSpec, target: Path, problem: str) -> str:
    return f"backbone {s.id}: weights file {target} is corrupt: {problem}; delete it and put the file from {s.url} there"


def _format_of(path: Path) -> str:
    """The loader's view of an explicit file: safetensors by suffix, else torch."""
    return "safetensors" if path.suffix == ".safetensors" else "torch"


def resolve(backbone_id: str, path: str | os.PathLike | None = None) -> Path:
    """The local weights file for ``backbone_id`` (see the module docstring for the
    search order). Raises ``BackboneUnavailable`` with one line when there is none,
    or when the file there fails ``file_problem``."""
    s = spec(backbone_id)
    if path is not None:
        p = Path(path).expanduser()
        if not p.is_file():
            raise BackboneUnavailable(f"backbone {s.id}: weights file {p} does not exist; check the path")
        problem = file_problem(p, _format_of(p))
        if problem:
            raise BackboneUnavailable(f"backbone {s.id}: weights file {p} is unusable: {problem}")
        return p
    directory = weights_dir()
    target = directory / s.filename
    if target.is_file():
        problem = file_problem(target, s.format, s.sha256)
        if problem:
            raise BackboneUnavailable(_corrupt_message(s, target, problem))
        return target
    if backbone_id in _FAILED:
        raise BackboneUnavailable(_FAILED[backbone_id])
    if not download_allowed():
        msg = _missing_message(s, directory)
        if backbone_id not in _WARNED:  # log once per process, not once per video
            _WARNED.add(backbone_id)
            log.warning(msg)
        raise BackboneUnavailable(msg)
    try:
        _download(s, target)
    except (OSError, ValueError) as exc:
        _FAILED[backbone_id] = f"backbone {s.id}: download of {s.filename} failed ({exc}); put the file in {directory}"
        raise BackboneUnavailable(_FAILED[backbone_id]) from None
    return target


def _download(s: BackboneSpec, target: Path) -> None:
    """Download to a temporary file next to ``target``, verify, then rename atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    log.warning("downloading %s from %s", s.filename, s.url)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{s.filename}.", suffix=".part")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(s.url, timeout=DOWNLOAD_TIMEOUT_S) as resp:
            while chunk := resp.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
        check_file(Path(tmp), s, digest.hexdigest())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def check_file(path: Path, s: BackboneSpec, sha256_hex: str | None = None) -> None:
    """Raise ValueError when ``path`` does not look like ``s``'s file: wrong digest, or
    not a checkpoint at all (an HTML error page saved under the weights' name)."""
    problem = header_problem(path, s.format)
    if problem is None and s.sha256:
        problem = _digest_problem(sha256_hex or file_sha256(path), s.sha256)
    if problem:
        raise ValueError(f"{path.name}: {problem}")


def file_problem(path: str | os.PathLike, fmt: str, sha256: str | None = None) -> str | None:
    """Why ``path`` is not a usable ``fmt`` ("torch" or "safetensors") checkpoint, or
    None. Reads the header (``header_problem``) and, when ``sha256`` (a digest or its
    hex prefix) is given, hashes the file. Memoised per (path, size, mtime)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns, fmt, sha256)
    if key not in _CHECK_MEMO:
        problem = header_problem(p, fmt)
        if problem is None and sha256:
            problem = _digest_problem(file_sha256(p), sha256)
        _CHECK_MEMO[key] = problem
    return _CHECK_MEMO[key]


def _digest_problem(got: str, expected: str) -> str | None:
    if got.startswith(expected.lower()):
        return None
    return f"sha256 is {got[:16]}..., expected {expected[:16]}... (the published file)"


def header_problem(path: str | os.PathLike, fmt: str) -> str | None:
    """Why the header of ``path`` does not parse as a ``fmt`` checkpoint, or None.
    Cheap: torch zip archives are opened (the central directory at the end of the
    file, so a truncated download fails), safetensors headers are parsed and their
    tensor offsets compared with the file size. Never reads the tensors."""
    p = Path(path)
    try:
        size = p.stat().st_size
        with open(p, "rb") as f:
            head = f.read(32)
            if fmt == "safetensors":
                return _safetensors_problem(f, head, size)
        return _torch_problem(p, head)
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"


def _looks_like_html(head: bytes) -> bool:
    return head.lstrip()[:1] == b"<"


def _torch_problem(p: Path, head: bytes) -> str | None:
    if not head:
        return "not a torch checkpoint (empty file)"
    if _looks_like_html(head):
        return "not a torch checkpoint (an HTML/XML page, e.g. a download error page)"
    if head.startswith(b"PK"):  # torch.save's zip format (torch >= 1.6)
        try:
            with zipfile.ZipFile(p) as z:
                names = z.namelist()
        except Exception as exc:  # BadZipFile, struct/EOF errors on a damaged directory
            return f"damaged torch checkpoint (zip archive unreadable: {exc}; a truncated download?)"
        if not any(n.endswith("data.pkl") for n in names):
            return "not a torch checkpoint (a zip archive without data.pkl)"
        return None
    if head[:1] == b"\x80":  # legacy torch.save: pickles, the first one the magic number
        if TORCH_LEGACY_MAGIC in head:
            return None
        return "not a torch checkpoint (a pickle without torch's magic number)"
    return "not a torch checkpoint (neither a zip archive nor a pickle)"


def _safetensors_problem(f, head: bytes, size: int) -> str | None:
    if size < 8:
        return f"not a safetensors file ({size} bytes)"
    n = int.from_bytes(head[:8], "little")  # length of the JSON header that follows
    if n < 2 or n > SAFETENSORS_MAX_HEADER or 8 + n > size:
        if _looks_like_html(head):  # only now: a valid length's first byte may be "<" (60)
            return "not a safetensors file (an HTML/XML page, e.g. a download error page)"
        return f"not a safetensors file (header length {n} does not fit a {size}-byte file)"
    f.seek(8)
    try:
        header = json.loads(f.read(n))
        ends = [int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"]
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return "not a safetensors file (its header is not a safetensors JSON table)"
    data = size - 8 - n
    if not ends:
        return "not a usable safetensors file (it holds no tensors)"
    if max(ends) != data:
        return f"damaged safetensors file (its header describes {max(ends)} bytes of tensors, the file holds {data})"
    return None


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, memoised per (path, size, mtime) for the process."""
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _SHA_MEMO:
        h = hashlib.sha256()
        with open(p, "rb") as f:
            while chunk := f.read(1 << 22):
                h.update(chunk)
        _SHA_MEMO[key] = h.hexdigest()
    return _SHA_MEMO[key]


def load_state_dict(path: str | os.PathLike) -> dict:
    """Read a checkpoint into a flat ``{name: tensor}`` dict on CPU without running
    pickled code (safetensors, or ``torch.load(weights_only=True)``). Unwraps the
    usual ``{"state_dict": ...}`` / ``{"model": ...}`` containers."""
    import torch

    p = Path(path)
    try:
        if p.suffix == ".safetensors":
            from safetensors.torch import load_file

            sd = load_file(str(p), device="cpu")
        elif _is_torchscript(p):  # OpenAI CLIP ships TorchScript archives (clip.py line 129 jit-loads them)
            import warnings

            with warnings.catch_warnings():  # torch >= 2.9 marks torch.jit deprecated; the files stay TorchScript
                warnings.simplefilter("ignore", FutureWarning)
                sd = dict(torch.jit.load(str(p), map_location="cpu").state_dict())
        else:
            sd = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt file, pickled objects, wrong format
        raise UserError(f"cannot read weights file {p}: {type(exc).__name__}: {str(exc)[:200]}") from None
    for key in ("state_dict", "model", "module"):
        if isinstance(sd, dict) and isinstance(sd.get(key), dict):
            sd = sd[key]
    if not isinstance(sd, dict) or not all(torch.is_tensor(v) for v in sd.values()):
        raise UserError(f"weights file {p} does not hold a state dict of tensors")
    return sd


def _is_torchscript(p: Path) -> bool:
    """A ``torch.jit.save`` archive: a zip with the ``constants.pkl`` record (plain
    ``torch.save`` files have none). ``torch.load(weights_only=True)`` refuses these;
    ``torch.jit.load`` unpickles only TorchScript types, never arbitrary Python objects."""
    if not zipfile.is_zipfile(p):
        return False
    with zipfile.ZipFile(p) as z:
        return any(n.endswith("/constants.pkl") or n == "constants.pkl" for n in z.namelist())


def backbone_status(backbone_id: str) -> dict[str, object]:
    """Where one backbone stands on this machine, for ``vbench-lite list backbones``:

    ``status``: "available" (file present and checked), "corrupt" (present but fails
    the check), "missing", or "downloadable" (missing, but downloads are on);
    ``pinned``: the project knows the published sha256 (a prefix of it), so the file
    is verified byte for byte, else only its header is checked; ``checked``: "sha256"
    or "header" for a present file; ``problem``: what is wrong with a corrupt file;
    ``reason``: why it is not available (one line, with what to do)."""
    s = spec(backbone_id)
    target = weights_dir() / s.filename
    row: dict[str, object] = {"id": s.id, "file": s.filename, "path": str(target), "pinned": bool(s.sha256),
                              "checked": "", "description": s.description, "problem": "", "reason": ""}
    if target.is_file():
        problem = file_problem(target, s.format, s.sha256)
        row["checked"] = "sha256" if s.sha256 else "header"
        row["status"] = "corrupt" if problem else "available"
        row["problem"] = problem or ""
        row["reason"] = _corrupt_message(s, target, problem) if problem else ""
    elif backbone_id not in _FAILED and download_allowed():
        row["status"], row["reason"] = "downloadable", f"not downloaded yet; fetched from {s.url} on first use"
    else:
        row["status"], row["reason"] = "missing", availability(backbone_id) or ""
    return row


def backbone_rows() -> list[dict[str, object]]:
    """``backbone_status`` of every known backbone, sorted by id."""
    return [backbone_status(bid) for bid in sorted(BACKBONES)]


def _reset_memo() -> None:
    """Forget failed downloads, warnings and file checks (tests)."""
    _FAILED.clear()
    _WARNED.clear()
    _CHECK_MEMO.clear()
