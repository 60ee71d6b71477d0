"""``eval``: turn paths on disk into cases and an in-memory generator that reads them
(``vbench_lite.generators.files.FilesGenerator``).

A video file is one video; a folder holding image frames is one video; any other
folder is a folder of videos (each file or frame folder inside it is one). Case ids
come from file names (made safe for file names, made unique). An optional prompts
manifest (CSV ``name,prompt`` or JSON ``{name: prompt}``; ``name`` is a file name,
stem or case id) adds prompts for text metrics.

The run's identity covers what is scored: each file's content hash (the generator's
fingerprint) and the prompts (the cases), so replacing a video or correcting a
prompt is a new run, never a resume with the old scores.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from vbench_lite.case import Case, check_prompt
from vbench_lite.errors import UserError
from vbench_lite.generators.files import FilesGenerator
from vbench_lite.io import IMAGE_EXTS, is_video_path, shown
from vbench_lite.runners.plan import RunSpec


def collect_videos(paths: list[Path]) -> list[Path]:
    """The videos ``paths`` name. Entries of a folder that cannot be read (a symlink
    loop, a broken link) are kept: reading them fails that item alone, with the reason."""
    found: list[Path] = []
    for p in paths:
        if not p.exists():
            what = "broken symbolic link or symlink loop" if p.is_symlink() else "no such file or folder"
            raise UserError(f"{shown(p)}: {what}")
        try:
            entries = sorted(p.iterdir()) if p.is_dir() else None
        except OSError as exc:
            raise UserError(f"{shown(p)}: folder cannot be listed ({exc.strerror})") from None
        if entries is not None and not any(q.suffix.lower() in IMAGE_EXTS for q in entries):
            inner = [q for q in entries if not q.name.startswith(".") and is_video_path(q)]
            if not inner:
                raise UserError(f"{shown(p)}: folder has no videos or frames")
            found.extend(inner)
        else:
            found.append(p)  # a file (even with a wrong extension: reading it gives the error)
    return found


def _case_id(path: Path, taken: set[str]) -> str:
    stem = path.stem if path.is_file() else path.name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")[:100] or "video"
    if not base[0].isalnum():
        base = "v" + base
    cid, n = base, 1
    while cid in taken:
        n += 1
        cid = f"{base}-{n}"
    taken.add(cid)
    return cid


NAME_COLUMNS = ("name", "file", "case_id")  # any one of these names the video
PROMPTS_HELP = ("CSV with a header: a name column (name, file or case_id: a file name, its stem or the case id) "
                "and a 'prompt' column; or JSON {name: prompt}")


def read_prompts(path: Path) -> dict[str, str]:
    """``{name: prompt}`` from a prompts manifest (``PROMPTS_HELP``); a missing or
    unknown column is an error, never silently ignored."""
    if not path.is_file():
        raise UserError(f"prompts manifest {path} does not exist")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise UserError(f"prompts manifest {path}: expected a JSON object {{name: prompt}}")
            return {str(k): str(v) for k, v in data.items()}
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            names = [h for h in header if h in NAME_COLUMNS]
            unknown = [h for h in header if h not in (*NAME_COLUMNS, "prompt")]
            if len(names) != 1 or "prompt" not in header or unknown:
                raise UserError(f"prompts manifest {path}: header {','.join(header) or '(empty)'} is not "
                                f"usable; expected one of {'/'.join(NAME_COLUMNS)} and 'prompt', e.g. file,prompt")
            reader.fieldnames = header
            return {row[names[0]].strip(): row["prompt"] or "" for row in reader if (row.get(names[0]) or "").strip()}
    except (json.JSONDecodeError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"prompts manifest {path} cannot be parsed ({exc}); {PROMPTS_HELP}") from None


def eval_spec_and_generator(paths, *, prompts=None, fps=0.0, metrics=None, name=""):
    files = collect_videos([Path(p) for p in paths])
    prompt_map = read_prompts(prompts) if prompts else {}
    taken: set[str] = set()
    mapping, cases = {}, []
    for f in files:
        cid = _case_id(f, taken)
        prompt = prompt_map.get(f.name) or prompt_map.get(f.stem) or prompt_map.get(cid) or ""
        check_prompt(prompt)
        mapping[cid] = f
        cases.append(Case(case_id=cid, suite="eval", prompt=prompt, fps=fps or 10.0))
    gen = FilesGenerator(mapping)
    spec = RunSpec(generator="files", settings={"fps": fps}, suites=["eval"], seeds=[0], metrics=metrics,
                   name=name or f"eval-{gen.fingerprint({})[:6]}")
    return spec, gen, cases
