"""VBench 0.1.5's steps for three dimensions, restated step by step from its source
(file:line of the ``vbench`` wheel), as the independent reference the tests and
``benchmarks/bench_vbench.py`` compare vbench-lite with when the ``vbench`` package
itself is not importable. Deliberately literal: one pair at a time, VBench's dtypes,
its sort, its loop -- no shortcut that vbench-lite takes.
"""

from __future__ import annotations

import cv2
import numpy as np


def read_frames_bgr(path) -> list[np.ndarray]:
    """Every frame, as ``cv2.VideoCapture`` gives it (temporal_flickering.py:16-27)."""
    cap, frames = cv2.VideoCapture(str(path)), []
    while cap.isOpened():
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    assert frames, f"no frames in {path}"
    return frames


def temporal_flickering(path) -> float:
    """temporal_flickering.py:30-49: float32 absdiff per pair, np.mean in float32,
    mean over pairs, (255 - x) / 255."""
    frames = read_frames_bgr(path)
    maes = [np.mean(cv2.absdiff(np.array(a, dtype=np.float32), np.array(b, dtype=np.float32)))
            for a, b in zip(frames[:-1], frames[1:])]
    return (255.0 - np.mean(np.array(maes)).item()) / 255.0


def dynamic_degree(path, model, updates: int = 20) -> tuple[bool, list[float]]:
    """dynamic_degree.py:64-120 with ``model`` a torchvision-style RAFT (``model(a, b,
    num_flow_updates)[-1]`` on inputs in [-1, 1]); returns (dynamic, every pair score)."""
    import torch
    import torch.nn.functional as F

    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    interval = max(1, round(fps / 8))  # :100
    frames = []
    while cap.isOpened():
        ok, frame = cap.read()
        if not ok:
            break
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        frames.append(torch.from_numpy(rgb.astype(np.uint8)).permute(2, 0, 1).float()[None])  # :104-106
    cap.release()
    frames = [frames[i] for i in range(0, len(frames), interval)]  # :116-120
    scale = min(list(frames[0].shape)[-2:])  # :60
    thres, count_num = 6.0 * (scale / 256.0), round(4 * (len(frames) / 16.0))  # :61
    scores = []
    for a, b in zip(frames[:-1], frames[1:]):  # :74
        ht, wd = a.shape[-2:]  # RAFT InputPadder, sintel mode (utils_core/utils.py:9-20)
        pad_ht, pad_wd = (((ht // 8) + 1) * 8 - ht) % 8, (((wd // 8) + 1) * 8 - wd) % 8
        pad = [pad_wd // 2, pad_wd - pad_wd // 2, pad_ht // 2, pad_ht - pad_ht // 2]
        a, b = F.pad(a, pad, mode="replicate"), F.pad(b, pad, mode="replicate")
        with torch.no_grad():  # RAFT.forward scales inputs to [-1, 1] first (core/raft.py:89-90)
            flow = model(2 * (a / 255.0) - 1.0, 2 * (b / 255.0) - 1.0, num_flow_updates=updates)[-1]
        flo = flow[0].permute(1, 2, 0).cpu().numpy()  # get_score, :42-56
        rad = np.sqrt(np.square(flo[:, :, 0]) + np.square(flo[:, :, 1]))
        h, w = rad.shape
        cut = int(h * w * 0.05)
        scores.append(np.mean(abs(np.sort(-rad.flatten()))[:cut]).item())
    count = 0  # check_move, :84-93
    for s in scores:
        if s > thres:
            count += 1
        if count >= count_num:
            return True, scores
    return False, scores


def motion_smoothness(path, interpolate) -> float:
    """motion_smoothness.py:33-167 at scale 1 (CPU), one pair at a time, with
    ``interpolate(img0, img1)`` -> (1, 3, h, w) in [0, 1] standing in for AMT-S's
    ``imgt_pred``."""
    import torch
    import torch.nn.functional as F

    frames = [cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in read_frames_bgr(path)]  # :33-45
    kept = [frames[i] for i in range(0, len(frames), 2)]  # :120
    inputs = [torch.tensor(f).permute(2, 0, 1).unsqueeze(0) / 255.0 for f in kept]  # amt utils.py:80-83
    ht, wd = inputs[0].shape[-2:]  # amt InputPadder, divisor 16 (utils.py:56-60)
    pad_ht, pad_wd = (((ht // 16) + 1) * 16 - ht) % 16, (((wd // 16) + 1) * 16 - wd) % 16
    pad = [pad_wd // 2, pad_wd - pad_wd // 2, pad_ht // 2, pad_ht - pad_ht // 2]
    inputs = [F.pad(x, pad, mode="replicate") for x in inputs]
    outputs = [inputs[0]]
    for a, b in zip(inputs[:-1], inputs[1:]):  # :140-145
        with torch.no_grad():
            outputs += [interpolate(a, b), b]
    h2, w2 = outputs[0].shape[-2:]
    outputs = [x[..., pad[2]:h2 - pad[3], pad[0]:w2 - pad[1]] for x in outputs]  # unpad
    outputs = [(x * 255.).squeeze(0).permute(1, 2, 0).numpy().clip(0, 255).astype(np.uint8)
               for x in outputs]  # tensor2img, amt utils.py:86-89
    ori = [frames[i] for i in range(1, len(frames), 2)]  # vfi_score, :156-162
    interp = [outputs[i] for i in range(1, len(outputs), 2)]
    vfi = np.mean(np.array([np.mean(cv2.absdiff(ori[i], interp[i])) for i in range(len(interp))]))
    return (255.0 - vfi) / 255.0
