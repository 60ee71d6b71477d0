"""Headless Chromium for report tests: load a page, check that every image decoded and
that nothing is wider than the window, take a screenshot.

The report itself carries no test hook: ``check_page`` loads a copy of the page with
a small script added that writes its findings into the DOM, which ``--dump-dom``
prints. Without a ``chromium`` binary a test skips -- except under ``CI=true``, where
``.ci/run`` installs Debian's ``chromium`` and a missing browser is a failure.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHECK = """<script>
window.addEventListener('load', function () {
  var W = document.documentElement.clientWidth, failed = [], loaded = 0, over = [];
  for (var i = 0; i < document.images.length; i++) {
    var im = document.images[i];
    if (im.complete && im.naturalWidth > 0) loaded++; else failed.push(im.alt || im.className);
  }
  var els = document.querySelectorAll('table, figure, img, pre, .preview, h1, h2, h3, p, details');
  for (var j = 0; j < els.length; j++) {
    var r = els[j].getBoundingClientRect();
    if (r.width > 0 && (r.right > W + 0.5 || r.left < -0.5))
      over.push(els[j].tagName.toLowerCase() + ' ' + Math.round(r.right) + 'px: '
                + (els[j].id || els[j].alt || els[j].textContent.slice(0, 40)));
  }
  var key = document.querySelectorAll('p.key'), card = null;  // the scorecard's key: its last line
  if (key.length) card = key[key.length - 1].getBoundingClientRect().bottom + window.scrollY;
  var out = document.createElement('pre');
  out.id = 'vbench-check';
  out.textContent = JSON.stringify({window: W, page: document.documentElement.scrollWidth,
                                    images: document.images.length, loaded: loaded, failed: failed,
                                    overflow: over, card_bottom: card});
  document.body.appendChild(out);
});
</script>"""


def chromium() -> str:
    """The browser binary, or skip (fail under CI=true)."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but no chromium binary: .ci/run must `apt-get install -y chromium`")
    pytest.skip("no chromium binary (install Debian's `chromium` package to run this test)")


def _flags(exe: str, profile: Path, width: int, height: int) -> list[str]:
    return [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--hide-scrollbars", "--virtual-time-budget=5000", f"--window-size={width},{height}",
            f"--user-data-dir={profile}"]


def check_page(page: Path, work: Path, *, width: int = 1280, height: int = 1000) -> dict:
    """Load ``page`` at ``width`` px: {window, page (scroll width), images, loaded,
    failed (alt texts), overflow (elements reaching past the window), card_bottom (px from
    the top of the page to the end of the scorecard's key; None without a scorecard)}."""
    exe = chromium()
    work.mkdir(parents=True, exist_ok=True)
    probe = work / f"{page.stem}.check{width}.html"
    text = page.read_text(encoding="utf-8")
    probe.write_text(text.replace("</body>", CHECK + "</body>") if "</body>" in text else text + CHECK,
                     encoding="utf-8")
    dom = subprocess.run([*_flags(exe, work / f"profile{width}", width, height), "--dump-dom",
                          probe.resolve().as_uri()], capture_output=True, text=True, timeout=120).stdout
    m = re.search(r'<pre id="vbench-check">(.*?)</pre>', dom, re.S)
    assert m, f"the check script did not run in chromium (page {page})"
    return json.loads(html.unescape(m.group(1)))


def screenshot(page: Path, out: Path, work: Path, *, width: int = 1280, height: int = 2400) -> Path:
    """A PNG of the top ``height`` px of ``page`` at ``width`` px."""
    exe = chromium()
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([*_flags(exe, work / "profile-shot", width, height), f"--screenshot={out}",
                    page.resolve().as_uri()], capture_output=True, timeout=120)
    assert out.exists() and out.stat().st_size > 10_000, f"no screenshot of {page}"
    return out
