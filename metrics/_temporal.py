"""Shared base for the flow-based temporal metrics: backend choice and availability."""

from __future__ import annotations

from vbench_lite.errors import UserError
from vbench_lite.metrics.base import NEEDS_BACKBONE, Metric
from vbench_lite.metrics.flow import BACKENDS, PairFlows, video_flows


class FlowMetric(Metric):
    """A metric that reads the video's shared ``PairFlows``.

    ``flow_backend``: "dis" (default, OpenCV, no weights) or "raft-large" /
    "raft-small" (torchvision RAFT, weights from the weights manager; ``raft_path``
    overrides the lookup). The backend is part of the reported backbone.
    """

    group = "temporal"

    def __init__(self, flow_backend: str = "dis", raft_path=None):
        if flow_backend not in BACKENDS:
            raise UserError(f"unknown flow backend {flow_backend!r}; choose one of {', '.join(BACKENDS)}")
        self.flow_backend = flow_backend
        self.raft_path = raft_path
        if flow_backend != "dis":
            self.backbone = flow_backend
            self.needs = frozenset(self.needs) | {NEEDS_BACKBONE}

    def unavailable_reason(self) -> str | None:
        if self.flow_backend == "dis":
            return None
        from vbench_lite.metrics._raft import raft_unavailable_reason

        return raft_unavailable_reason(self.flow_backend, self.raft_path)

    def identity(self) -> dict:
        ident = {**super().identity(), "flow_backend": self.flow_backend}
        if self.flow_backend != "dis":
            from vbench_lite import weights

            try:
                ident["weights_sha256"] = weights.file_sha256(weights.resolve(self.flow_backend, self.raft_path))
            except UserError:
                ident["weights_sha256"] = None  # unavailable: the metric is skipped anyway
        return ident

    def flows(self, video, ctx) -> PairFlows:
        return video_flows(video, ctx, self.flow_backend, self.raft_path)
