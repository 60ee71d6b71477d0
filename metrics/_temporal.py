"""Shared base for the flow-based temporal metrics: backend choice and availability."""

from __future__ import annotations

from vbench_lite.errors import UserError
from vbench_lite.metrics.base import NEEDS_BACKBONE, Metric
from vbench_lite.metrics.flow import BACKENDS, PairFlows, video_flows
from vbench_lite.metrics.options import CHOICE, FILE, Option


class FlowMetric(Metric):
    """A metric that reads the video's shared ``PairFlows``.

    ``flow_backend``: "dis" (default, OpenCV, no weights) or "raft-large" /
    "raft-small" (torchvision RAFT, weights from the weights manager; ``raft_path``
    overrides the lookup). The backend is part of the reported backbone.
    """

    group = "temporal"

    options = (
        Option("flow_backend", CHOICE, "dis", "optical flow: dis (OpenCV, no weights) or torchvision RAFT",
               choices=BACKENDS),
        Option("raft_path", FILE, None, "a RAFT checkpoint instead of the managed file (raft backends)",
               identity=False),  # the file's sha256 is in identity()
    )

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

    # Streaming (``metrics.stream``): a subclass whose numbers are per-pair values reduced
    # over the video defines ``per_pair(flows, chunk)`` -> tuple of per-pair arrays and
    # ``summarise(arrays, video)`` -> scores; ``compute`` is then the two on the whole
    # video's flows, and the accumulator the two over chunks -- one code path.
    def per_pair(self, flows: PairFlows, chunk=None) -> tuple:
        """Per-pair arrays of ``flows``; ``chunk``: the ``FrameChunk`` they belong to (None: the
        whole video), for what a pair needs beyond its own flow."""
        raise NotImplementedError

    def summarise(self, arrays: tuple, video) -> dict:
        """Scores from the per-pair arrays of the whole video; ``video``: a ``Video`` or a
        ``stream.StreamInfo`` (num_frames, height, width, fps)."""
        raise NotImplementedError

    def compute(self, video, case, ctx):
        return self.summarise(self.per_pair(self.flows(video, ctx)), video)

    def accumulator(self, case):
        """Streams with DIS flow. RAFT batches pairs through a network, whose float results may
        change with the batch's make-up: RAFT-based metrics keep scoring the whole video."""
        if self.flow_backend != "dis":
            return None
        from vbench_lite.metrics.stream import PairAccumulator

        return PairAccumulator(lambda chunk: self.per_pair(chunk.flows(self.flow_backend), chunk), self.summarise)
