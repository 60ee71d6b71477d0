"""AMT-S frame interpolation (Li et al., "AMT: All-Pairs Multi-Field Transforms for
Efficient Frame Interpolation", CVPR 2023), the network VBench's motion_smoothness runs.

Written from the facts of the AMT code VBench 0.1.5 vendors
(``vbench/third_party/amt``; cited as ``networks/AMT-S.py:line`` etc.) so that the
published ``amt-s.pth`` (``{"state_dict": ...}``) loads by its key names: module
names below are the checkpoint's. Configuration of AMT-S (cfgs/AMT-S.yaml:12-17,
networks/AMT-S.py:22-57): correlation radius 3 over 4 levels, 3 flow fields, pyramid
channels (20, 32, 44, 56), skip channels 20, a 84-d correlation encoder and update
blocks with hidden 76, flow 20, correlation 64 and fused 68 channels.

Forward pass for an intermediate time t (VBench: t = 0.5) on images in [0, 1], sides
multiples of 16 (networks/AMT-S.py:74-142):

1. subtract one per-sample mean of both images (over channels and pixels);
2. a stride-8 correlation feature encoder (RAFT's small encoder, instance norm) on
   both images and their all-pairs correlation volume, pooled into 4 levels, read in
   both directions around a (2r+1)^2 window (blocks/raft.py:142-207);
3. a 4-level pyramid encoder (stride 2 per level, conv + PReLU) per image;
4. coarse to fine (1/16 -> 1/2): a decoder predicts the flows from t to each image
   and a feature of frame t; at 1/8, 1/4 and 1/2 an update block refines them from the
   correlation read where the flows, scaled to the full interval (1/t, 1/(1-t)), land;
5. the last decoder predicts 3 flow pairs, blending masks and residuals; each pair
   warps both images to t, and the prediction is their mean plus a small conv net's
   correction over all of them, clamped to [0, 1] (blocks/multi_flow.py:10-43).
"""

from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import nn

RADIUS, LEVELS, NUM_FLOWS = 3, 4, 3  # cfgs/AMT-S.yaml:15-17
CHANNELS, SKIP = (20, 32, 44, 56), 20  # networks/AMT-S.py:27-28
CORR_FEATURES = 84  # feature encoder output (networks/AMT-S.py:36)
LRELU = 0.1  # negative slope in the update blocks (blocks/raft.py:49)


def bilinear(x: torch.Tensor, scale: float) -> torch.Tensor:
    """Bilinear resize by ``scale``, half-pixel centres (blocks/ifrnet.py:7-8)."""
    return F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)


def backward_warp(img: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Sample ``img`` (B, C, H, W) at x + flow(x), border-clamped (utils/flow_utils.py:8-16)."""
    b, _, h, w = flow.shape
    gx = torch.linspace(-1.0, 1.0, w).view(1, 1, 1, w).expand(b, -1, h, -1)  # (B, 1, H, W) normalised x
    gy = torch.linspace(-1.0, 1.0, h).view(1, 1, h, 1).expand(b, -1, -1, w)
    base = torch.cat([gx, gy], 1).to(img)  # (B, 2, H, W)
    step = torch.cat([flow[:, 0:1] / ((w - 1.0) / 2.0), flow[:, 1:2] / ((h - 1.0) / 2.0)], 1)
    grid = (base + step).permute(0, 2, 3, 1)  # (B, H, W, 2)
    return F.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=True)


def pixel_grid(b: int, h: int, w: int, device) -> torch.Tensor:
    """(B, 2, h, w) float pixel coordinates, channel 0 = x (blocks/raft.py:27-32)."""
    ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
    return torch.stack([xs, ys]).float()[None].repeat(b, 1, 1, 1)


def conv_prelu(cin: int, cout: int, k: int = 3, stride: int = 1, pad: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, pad), nn.PReLU(cout))


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride) -> 1x1, instance norm + ReLU each, residual (blocks/feat_enc.py:5-61)."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        mid = cout // 4
        self.conv1 = nn.Conv2d(cin, mid, 1)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1)
        self.conv3 = nn.Conv2d(mid, cout, 1)
        self.downsample = None if stride == 1 else nn.Sequential(nn.Conv2d(cin, cout, 1, stride), nn.InstanceNorm2d(cout))

    def forward(self, x):
        y = F.relu(F.instance_norm(self.conv1(x)))
        y = F.relu(F.instance_norm(self.conv2(y)))
        y = F.relu(F.instance_norm(self.conv3(y)))
        return F.relu((x if self.downsample is None else self.downsample(x)) + y)


class CorrEncoder(nn.Module):
    """Stride-8 features for the correlation volume (blocks/feat_enc.py:117-187)."""

    def __init__(self, out: int = CORR_FEATURES):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 7, 2, 3)
        self.layer1 = nn.Sequential(Bottleneck(32, 32, 1), Bottleneck(32, 32, 1))
        self.layer2 = nn.Sequential(Bottleneck(32, 64, 2), Bottleneck(64, 64, 1))
        self.layer3 = nn.Sequential(Bottleneck(64, 96, 2), Bottleneck(96, 96, 1))
        self.conv2 = nn.Conv2d(96, out, 1)

    def forward(self, x):  # (N, 3, H, W) -> (N, out, H/8, W/8)
        x = F.relu(F.instance_norm(self.conv1(x)))
        return self.conv2(self.layer3(self.layer2(self.layer1(x))))


class SideResBlock(nn.Module):
    """Residual block whose last ``side`` channels get an extra conv twice (blocks/ifrnet.py:16-53)."""

    def __init__(self, c: int, side: int):
        super().__init__()
        self.side = side
        self.conv1, self.conv3 = conv_prelu(c, c), conv_prelu(c, c)
        self.conv2, self.conv4 = conv_prelu(side, side), conv_prelu(side, side)
        self.conv5 = nn.Conv2d(c, c, 3, 1, 1)
        self.prelu = nn.PReLU(c)

    def _side(self, x, conv):
        return torch.cat([x[:, :-self.side], conv(x[:, -self.side:])], 1)

    def forward(self, x):
        out = self.conv3(self._side(self.conv1(x), self.conv2))
        out = self.conv5(self._side(out, self.conv4))
        return self.prelu(x + out)


class Pyramid(nn.Module):
    """Per-image features at 1/2 .. 1/16 (blocks/ifrnet.py:55-76)."""

    def __init__(self, channels=CHANNELS):
        super().__init__()
        prev = 3
        for i, c in enumerate(channels, 1):
            self.add_module(f"pyramid{i}", nn.Sequential(conv_prelu(prev, c, 3, 2, 1), conv_prelu(c, c)))
            prev = c
        self.levels = len(channels)

    def forward(self, x):
        out = []
        for i in range(1, self.levels + 1):
            x = getattr(self, f"pyramid{i}")(x)
            out.append(x)
        return out


class Decoder(nn.Module):
    """conv, side-residual block, 2x transposed conv (blocks/ifrnet.py:78-111,
    blocks/multi_flow.py:46-69). ``first``: input is the coarsest features of both
    images and t; else the previous feature, both warped features and both flows."""

    def __init__(self, cin: int, cout: int, first: bool = False):
        super().__init__()
        width = 2 * cin if first else 3 * cin
        self.first = first
        self.convblock = nn.Sequential(conv_prelu(width + (1 if first else 4), width), SideResBlock(width, SKIP),
                                       nn.ConvTranspose2d(width, cout, 4, 2, 1))

    def forward(self, ft, f0, f1, flow0=None, flow1=None, embt=None):
        if self.first:
            x = torch.cat([f0, f1, embt.expand(f0.shape[0], 1, *f0.shape[2:])], 1)
        else:
            x = torch.cat([ft, backward_warp(f0, flow0), backward_warp(f1, flow1), flow0, flow1], 1)
        return self.convblock(x)


class UpdateBlock(nn.Module):
    """Residual update of a level's feature and flows from correlation (blocks/raft.py:35-85,
    SmallUpdateBlock with networks/AMT-S.py:54-57's sizes), run at 1/8 scale."""

    def __init__(self, cdim: int, scale: int | None = None, hidden: int = 76, flow: int = 20,
                 corr: int = 64, fused: int = 68):
        super().__init__()
        self.scale = scale
        planes = 2 * LEVELS * (2 * RADIUS + 1) ** 2  # both directions
        self.convc1 = nn.Conv2d(planes, corr, 1)
        self.convf1 = nn.Conv2d(4, 2 * flow, 7, padding=3)
        self.convf2 = nn.Conv2d(2 * flow, flow, 3, padding=1)
        self.conv = nn.Conv2d(corr + flow, fused, 3, padding=1)
        lrelu = nn.LeakyReLU(LRELU)
        self.gru = nn.Sequential(nn.Conv2d(fused + 4 + cdim, hidden, 3, padding=1), lrelu,
                                 nn.Conv2d(hidden, hidden, 3, padding=1))
        self.feat_head = nn.Sequential(nn.Conv2d(hidden, hidden, 3, padding=1), lrelu,
                                       nn.Conv2d(hidden, cdim, 3, padding=1))
        self.flow_head = nn.Sequential(nn.Conv2d(hidden, hidden, 3, padding=1), lrelu,
                                       nn.Conv2d(hidden, 4, 3, padding=1))

    def forward(self, ft, flow, corr):
        lrelu = nn.functional.leaky_relu
        if self.scale is not None:
            ft = bilinear(ft, 1 / self.scale)  # to the 1/8 grid of the correlation
        motion = torch.cat([lrelu(self.convc1(corr), LRELU),
                            lrelu(self.convf2(lrelu(self.convf1(flow), LRELU)), LRELU)], 1)
        hidden = self.gru(torch.cat([lrelu(self.conv(motion), LRELU), flow, ft], 1))
        d_ft, d_flow = self.feat_head(hidden), self.flow_head(hidden)
        if self.scale is not None:
            d_ft = bilinear(d_ft, self.scale)
            d_flow = self.scale * bilinear(d_flow, self.scale)
        return d_ft, d_flow


class BidirCorrelation:
    """All-pairs correlation of two (B, D, h, w) maps, pooled to ``LEVELS`` levels and
    read in both directions (blocks/raft.py:142-207)."""

    def __init__(self, fmap0, fmap1):
        b, d, h, w = fmap0.shape
        corr = torch.matmul(fmap0.view(b, d, h * w).transpose(1, 2), fmap1.view(b, d, h * w))  # (B, hw, hw)
        corr = corr.view(b, h, w, 1, h, w) / torch.sqrt(torch.tensor(d).float())
        fwd = corr.reshape(b * h * w, 1, h, w)  # for each pixel of map 0: over map 1
        bwd = corr.clone().permute(0, 4, 5, 3, 1, 2).reshape(b * h * w, 1, h, w)  # and the other way
        self.fwd, self.bwd = [fwd], [bwd]
        for _ in range(LEVELS - 1):
            self.fwd.append(F.avg_pool2d(self.fwd[-1], 2, stride=2))
            self.bwd.append(F.avg_pool2d(self.bwd[-1], 2, stride=2))

    @staticmethod
    def _sample(vol, coords):  # vol (N, 1, H, W), coords (N, k, k, 2) pixels -> (N, 1, k, k)
        hh, ww = vol.shape[-2:]
        x, y = coords.split([1, 1], dim=-1)
        return F.grid_sample(vol, torch.cat([2 * x / (ww - 1) - 1, 2 * y / (hh - 1) - 1], -1), align_corners=True)

    def __call__(self, at0, at1):  # (B, 2, h, w) pixel positions -> two (B, LEVELS*(2r+1)^2, h, w)
        b, _, h, w = at0.shape
        r = RADIUS
        span = torch.linspace(-r, r, 2 * r + 1, device=at0.device)
        # window offsets: the first coordinate varies along the window's first axis, as the original
        window = torch.stack(torch.meshgrid(span, span, indexing="ij"), -1).view(1, 2 * r + 1, 2 * r + 1, 2)
        outs = []
        for pyramid, at in ((self.fwd, at0), (self.bwd, at1)):
            centre = at.permute(0, 2, 3, 1).reshape(b * h * w, 1, 1, 2)
            levels = [self._sample(vol, centre / 2 ** i + window).view(b, h, w, -1) for i, vol in enumerate(pyramid)]
            outs.append(torch.cat(levels, -1).permute(0, 3, 1, 2).contiguous().float())
        return outs[0], outs[1]


class Model(nn.Module):
    """AMT-S. ``forward(img0, img1, embt)``: images (B, 3, H, W) in [0, 1], H and W
    multiples of 16; ``embt`` (B or 1, 1, 1, 1) the time in (0, 1). Returns the
    (B, 3, H, W) frame at that time in [0, 1]."""

    def __init__(self):
        super().__init__()
        c = CHANNELS
        self.feat_encoder = CorrEncoder()
        self.encoder = Pyramid(c)
        self.decoder4 = Decoder(c[3], c[2] + 4, first=True)
        self.decoder3 = Decoder(c[2], c[1] + 4)
        self.decoder2 = Decoder(c[1], c[0] + 4)
        self.decoder1 = Decoder(c[0], 8 * NUM_FLOWS)  # 2+2 flows, 1 mask, 3 residual per field
        self.update4, self.update3, self.update2 = UpdateBlock(c[2]), UpdateBlock(c[1], 2), UpdateBlock(c[0], 4)
        self.comb_block = nn.Sequential(nn.Conv2d(3 * NUM_FLOWS, 6 * NUM_FLOWS, 3, 1, 1), nn.PReLU(6 * NUM_FLOWS),
                                        nn.Conv2d(6 * NUM_FLOWS, 3, 3, 1, 1))

    @staticmethod
    def _lookup(corr, grid, flow0, flow1, embt, down: int):
        """Correlation where the flows t->0 and t->1, stretched to the whole interval
        (t->1 by 1/t, t->0 by 1/(1-t)), land on the 1/8 grid (networks/AMT-S.py:59-72)."""
        if down != 1:
            flow0, flow1 = (1 / down) * bilinear(flow0, 1 / down), (1 / down) * bilinear(flow1, 1 / down)
        c0, c1 = corr(grid + flow1 * (1.0 / embt), grid + flow0 * (1.0 / (1.0 - embt)))
        return torch.cat([c0, c1], 1), torch.cat([flow0, flow1], 1)

    def _refine(self, update, corr, grid, ft, flow0, flow1, embt, down):
        motion_corr, flows = self._lookup(corr, grid, flow0, flow1, embt, down)
        d_ft, d_flow = update(ft, flows, motion_corr)
        d0, d1 = torch.chunk(d_flow, 2, 1)
        return ft + d_ft, flow0 + d0, flow1 + d1

    @staticmethod
    def _split(out, flow0_in=None, flow1_in=None):  # decoder output -> flows (+ upsampled input) and feature
        flow0, flow1, ft = out[:, 0:2], out[:, 2:4], out[:, 4:]
        if flow0_in is not None:
            flow0, flow1 = flow0 + 2.0 * bilinear(flow0_in, 2.0), flow1 + 2.0 * bilinear(flow1_in, 2.0)
        return flow0, flow1, ft

    def forward(self, img0, img1, embt):
        mean = torch.cat([img0, img1], 2).mean(1, keepdim=True).mean(2, keepdim=True).mean(3, keepdim=True)
        img0, img1 = img0 - mean, img1 - mean  # (B, 3, H, W)
        b, _, h, w = img0.shape
        grid = pixel_grid(b, h // 8, w // 8, img0.device)  # (B, 2, H/8, W/8)
        fmap0, fmap1 = torch.split(self.feat_encoder(torch.cat([img0, img1])), [b, b])  # (B, 84, H/8, W/8)
        corr = BidirCorrelation(fmap0, fmap1)
        f0, f1 = self.encoder(img0), self.encoder(img1)  # 4 levels, 1/2 .. 1/16
        flow0, flow1, ft = self._split(self.decoder4(None, f0[3], f1[3], embt=embt))  # 1/8
        ft, flow0, flow1 = self._refine(self.update4, corr, grid, ft, flow0, flow1, embt, 1)
        flow0, flow1, ft = self._split(self.decoder3(ft, f0[2], f1[2], flow0, flow1), flow0, flow1)  # 1/4
        ft, flow0, flow1 = self._refine(self.update3, corr, grid, ft, flow0, flow1, embt, 2)
        flow0, flow1, ft = self._split(self.decoder2(ft, f0[1], f1[1], flow0, flow1), flow0, flow1)  # 1/2
        ft, flow0, flow1 = self._refine(self.update2, corr, grid, ft, flow0, flow1, embt, 4)
        out = self.decoder1(ft, f0[0], f1[0], flow0, flow1)  # (B, 8n, H, W)
        n = NUM_FLOWS
        d0, d1, mask, res = torch.split(out, [2 * n, 2 * n, n, 3 * n], 1)
        flow0 = d0 + 2.0 * bilinear(flow0, 2.0).repeat(1, n, 1, 1)  # (B, 2n, H, W): n fields t->0
        flow1 = d1 + 2.0 * bilinear(flow1, 2.0).repeat(1, n, 1, 1)
        return torch.clamp(self._combine(img0, img1, flow0, flow1, torch.sigmoid(mask), res, mean), 0, 1)

    def _combine(self, img0, img1, flow0, flow1, mask, res, mean):
        """Warp both images along each of the n fields, blend, add the residual and the
        mean back, average the fields and add comb_block's correction (blocks/multi_flow.py:10-43)."""
        b, _, h, w = flow0.shape
        n = NUM_FLOWS
        many = lambda x, c: torch.stack([x] * n, 1).reshape(-1, c, *x.shape[2:])  # noqa: E731  (B*n, c, ...)
        w0 = backward_warp(many(img0, 3), flow0.reshape(b * n, 2, h, w))
        w1 = backward_warp(many(img1, 3), flow1.reshape(b * n, 2, h, w))
        m = mask.reshape(b * n, 1, h, w)
        warps = m * w0 + (1 - m) * w1 + many(mean, 1) + res.reshape(b * n, 3, h, w)
        warps = warps.reshape(b, n, 3, h, w)
        return warps.mean(1) + self.comb_block(warps.view(b, -1, h, w))


def load_amt_s_file(path) -> Model:
    """AMT-S in eval mode with the weights at ``path`` (``amt-s.pth``: a ``state_dict``
    container, unwrapped by the weights manager's safe reader)."""
    from vbench_lite.errors import UserError
    from vbench_lite.weights import load_state_dict

    model = Model()
    try:
        model.load_state_dict(load_state_dict(path))
    except RuntimeError as exc:
        raise UserError(f"{path} is not an AMT-S checkpoint ({str(exc).splitlines()[0]}); "
                        f"use amt-s.pth (VBench's motion_smoothness file)") from None
    return model.eval()


@lru_cache(maxsize=2)
def load_amt_s(path: str, device: str = "cpu") -> Model:
    """``load_amt_s_file`` once per process and device."""
    return load_amt_s_file(path).to(device)
