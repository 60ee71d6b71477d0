"""Metrics whose network is one weights file: its options, availability and identity.

A backbone metric takes the file (the weights manager finds it, or an explicit path
option), a device and a batch size; it is available when the file is, and the file's
sha256 is part of its identity (so the path option itself never is). Written once here
for the DINO / CLIP-file / RAFT-things / AMT-S metrics.
"""

from __future__ import annotations

from typing import ClassVar

from vbench_lite import weights
from vbench_lite.errors import UserError
from vbench_lite.metrics.base import NEEDS_BACKBONE, Metric, check_batch
from vbench_lite.metrics.options import DEVICE, FILE, INT, Option


def backbone_options(path_option: str, what: str, batch: int, unit: str) -> tuple[Option, ...]:
    """The three options of a backbone-file metric: the file, the device, the batch."""
    return (
        Option(path_option, FILE, None, f"{what} instead of the managed file", identity=False),
        Option("device", DEVICE, None, "where the backbone runs: cpu, cuda, cuda:N (default: cuda when present)"),
        Option("batch", INT, batch, f"{unit} per forward pass (memory vs speed; the same numbers)", minimum=1,
               identity=False),
    )


class BackboneFileMetric(Metric):
    """``path_option`` names the attribute (and constructor option) holding an explicit
    weights file; subclasses set it, the device and the batch through ``_init_backbone``."""

    needs = frozenset({NEEDS_BACKBONE})
    path_option: ClassVar[str] = "weights_path"

    def _init_backbone(self, path, device, batch) -> None:
        setattr(self, self.path_option, path)
        self.device = device
        self.batch = check_batch(batch)

    @property
    def weights_file(self):
        return getattr(self, self.path_option, None)

    def unavailable_reason(self) -> str | None:
        return weights.availability(self.backbone, self.weights_file)

    def resolved_weights(self) -> str:
        return str(weights.resolve(self.backbone, self.weights_file))

    def identity(self) -> dict:
        """Version and the full sha256 of the weights file (None when it cannot be
        resolved: the metric is then skipped); hashed once per process."""
        ident = {**super().identity(), "weights_sha256": None}
        try:
            ident["weights_sha256"] = weights.file_sha256(weights.resolve(self.backbone, self.weights_file))
        except (UserError, OSError):
            pass
        return ident
