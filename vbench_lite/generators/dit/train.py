"""Train the reference DiT with flow matching on fresh physics-world clips.

    python -m vbench_lite.generators.dit.train --config vbench_lite/generators/dit/configs/cpu.json --out DIR

Writes into ``DIR``: ``reference_dit.safetensors`` (EMA weights), ``reference_dit.json``
(model config + training provenance) and ``train_log.csv`` (step, seconds, loss), and
refreshes them every ``ckpt_every_minutes`` so a killed run leaves a usable checkpoint.
Clips are streamed from ``vbench_lite.probes.world`` (every scenario, ID ranges only,
so the OOD probes measure generalisation), made by a background thread.
On CUDA it uses bf16 autocast and SDPA's fused attention kernels.

The shipped checkpoint came from ``configs/cpu.json`` (DiT-T, batch 8, one CPU thread,
45 minutes, 10,054 steps); a GPU run can continue it with ``"init_from"``.
The shipped per-scenario checkpoints (``weights/scenarios/``) continued it on one
scenario each (``"scenarios"``) in 8-40-minute stages, the later ones with the clean-clip
loss (``"loss_weighting": "x"``), a cosine learning-rate decay per stage (``"lr_schedule"``),
the frame-difference term (``"temporal_weight"``) and the motion request trained from 0-1
given frames with number-free prompts (``dropout.p_frames``, ``dropout.p_drop_numbers``);
``configs/cpu_specialist_anneal.json`` is the last such stage (set ``scenarios`` and
``init_from``). Their ``.json`` lists every stage; benchmarks/dit.md has why.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import math
import queue
import threading
import time
from pathlib import Path

import numpy as np
import torch

from vbench_lite.errors import UserError
from vbench_lite.generators.dit.model import DiT, count_params, preset_config
from vbench_lite.generators.dit.data import DropoutConfig, clip_batches, to_model, training_conditioning
from vbench_lite.generators.dit.flow_matching import flow_loss

DEFAULTS = {
    "preset": "DiT-XS", "model": {}, "batch_size": 8, "lr": 3e-4, "weight_decay": 0.0,
    "warmup_steps": 100, "max_steps": 1_000_000, "max_minutes": 40.0, "seed": 0,
    "ema_decay": 0.999, "ckpt_every_minutes": 5.0, "log_every": 10, "source": "world",
    "threads": 2, "device": "auto", "dropout": {},
    "init_from": "",  # a checkpoint .safetensors to continue from (weights only; fresh optimiser)
    "scenarios": [],  # world scenarios to train on (ID split); empty = all of them
    "loss_weighting": "v",  # "v": velocity MSE; "x": clean-clip MSE (t^2 x the velocity MSE)
    "temporal_weight": 0.0,  # > 0: add the frame-difference error (flow_matching.flow_loss)
    "lr_schedule": "constant",  # "constant" after warm-up, or "cosine": decays to 0 over the budget
}
LR_SCHEDULES = ("constant", "cosine")
CHECKPOINT = "reference_dit.safetensors"
CONFIG = "reference_dit.json"
LOG = "train_log.csv"


def load_train_config(path: str | None, overrides: dict | None = None) -> dict:
    cfg = dict(DEFAULTS)
    if path:
        try:
            given = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise UserError(f"training config {path} does not exist") from None
        except json.JSONDecodeError as exc:
            raise UserError(f"training config {path} is not valid JSON: {exc}") from None
        unknown = set(given) - set(DEFAULTS)
        if unknown:
            raise UserError(f"training config {path}: unknown keys {sorted(unknown)}; known: {sorted(DEFAULTS)}")
        cfg.update(given)
    cfg.update(overrides or {})
    if cfg["lr_schedule"] not in LR_SCHEDULES:
        raise UserError(f"training config: lr_schedule must be one of {LR_SCHEDULES}, got {cfg['lr_schedule']!r}")
    return cfg


def _prefetch(it, size: int = 4):
    """Run a batch iterator in a daemon thread so simulation overlaps the training step."""
    q: queue.Queue = queue.Queue(maxsize=size)

    def work():
        for item in it:
            q.put(item)

    threading.Thread(target=work, daemon=True).start()
    while True:
        yield q.get()


@torch.no_grad()
def _ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.lerp_(pm.detach(), 1 - decay)


def save_checkpoint(out: Path, ema: DiT, train_cfg: dict, provenance: dict) -> None:
    """Atomic writes (tmp + rename): a reader never sees half a checkpoint."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().float().cpu().contiguous() for k, v in ema.state_dict().items()}
    tmp = out / (CHECKPOINT + ".tmp")
    save_file(tensors, str(tmp), metadata={"format": "vbench-lite-dit", "version": "1"})
    tmp.replace(out / CHECKPOINT)
    meta = {"model": ema.config.to_dict(), "training": {**provenance, "config": train_cfg}}
    tmp = out / (CONFIG + ".tmp")
    tmp.write_text(json.dumps(meta, indent=2))
    tmp.replace(out / CONFIG)


def train(train_cfg: dict, out: Path) -> dict:
    """Run training; returns the provenance dict also written beside the checkpoint."""
    torch.set_num_threads(int(train_cfg["threads"]))
    torch.manual_seed(train_cfg["seed"])
    dev = train_cfg["device"]
    device = torch.device("cuda" if dev == "auto" and torch.cuda.is_available() else ("cpu" if dev == "auto" else dev))
    cfg = preset_config(train_cfg["preset"], **train_cfg["model"])
    model = DiT(cfg).to(device)
    if train_cfg["init_from"]:
        from safetensors.torch import load_file

        model.load_state_dict(load_file(train_cfg["init_from"]))  # strict: the config must match
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=train_cfg["lr"], weight_decay=train_cfg["weight_decay"],
                            betas=(0.9, 0.99))
    drop = DropoutConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in train_cfg["dropout"].items()})
    rng = np.random.default_rng(train_cfg["seed"])
    gen = torch.Generator(device=device).manual_seed(train_cfg["seed"])
    batches = _prefetch(clip_batches(cfg, train_cfg["batch_size"], train_cfg["seed"], train_cfg["source"],
                                      train_cfg["scenarios"]))
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)

    out.mkdir(parents=True, exist_ok=True)
    log_f = open(out / LOG, "w", newline="")
    log = csv.writer(log_f)
    log.writerow(["step", "seconds", "loss", "loss_avg", "lr", "clips_seen"])
    start = last_ckpt = time.time()
    loss_avg, step, speeds_seen = None, 0, []
    provenance = {
        "preset": cfg.preset, "params": count_params(model), "source": train_cfg["source"], "split": "id",
        "scenarios": list(train_cfg["scenarios"]) or "all", "init_from": train_cfg["init_from"] or None,
        "device": str(device), "torch": torch.__version__,
    }
    print(f"training {cfg.preset} ({provenance['params'] / 1e6:.2f}M params, {cfg.num_tokens} tokens) on {device}", flush=True)
    while step < train_cfg["max_steps"] and (time.time() - start) / 60 < train_cfg["max_minutes"]:
        frames, prompts, speeds = next(batches)
        speeds_seen.extend(speeds)
        x0 = to_model(frames).to(device)  # (B, T, 3, H, W)
        cond = training_conditioning(x0.cpu(), prompts, speeds, cfg, drop, rng)
        cond = type(cond)(*(f.to(device) for f in cond.fields()))
        lr = learning_rate(train_cfg, step, time.time() - start)
        for g in opt.param_groups:
            g["lr"] = lr
        with autocast:
            loss = flow_loss(model, x0, cond, gen, train_cfg["loss_weighting"], float(train_cfg["temporal_weight"]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        # EMA warm-up (as in many DiT trainers) so early checkpoints are not dominated by init
        _ema_update(ema, model, min(train_cfg["ema_decay"], (1 + step) / (10 + step)))
        step += 1
        value = float(loss.detach())
        if not math.isfinite(value):
            raise RuntimeError(f"loss became {value} at step {step}; lower the learning rate")
        loss_avg = value if loss_avg is None else 0.98 * loss_avg + 0.02 * value
        if step % train_cfg["log_every"] == 0 or step == 1:
            secs = time.time() - start
            log.writerow([step, f"{secs:.1f}", f"{value:.5f}", f"{loss_avg:.5f}", f"{lr:.2e}", step * len(prompts)])
            log_f.flush()
            print(f"step {step} {secs:.0f}s loss {value:.4f} avg {loss_avg:.4f}", flush=True)
        if (time.time() - last_ckpt) / 60 >= train_cfg["ckpt_every_minutes"]:
            provenance.update(_progress(step, start, loss_avg, speeds_seen, train_cfg))
            save_checkpoint(out, ema, train_cfg, provenance)
            last_ckpt = time.time()
    provenance.update(_progress(step, start, loss_avg, speeds_seen, train_cfg))
    save_checkpoint(out, ema, train_cfg, provenance)
    log_f.close()
    return provenance


def learning_rate(train_cfg: dict, step: int, seconds: float) -> float:
    """Linear warm-up, then constant or cosine decay to 0 over the run's budget: the
    fraction done is the larger of steps / max_steps and minutes / max_minutes (training
    is budgeted by wall time on CPU, so the schedule follows whichever limit ends it)."""
    lr = train_cfg["lr"] * min(1.0, (step + 1) / train_cfg["warmup_steps"])
    if train_cfg["lr_schedule"] == "cosine":
        done = min(1.0, max(step / train_cfg["max_steps"], seconds / 60 / train_cfg["max_minutes"]))
        lr *= 0.5 * (1 + math.cos(math.pi * done))
    return lr


def _progress(step: int, start: float, loss_avg: float | None, speeds: list[float], train_cfg: dict) -> dict:
    s = np.asarray(speeds) if speeds else np.zeros(1)
    return {
        "steps": step, "clips_seen": step * train_cfg["batch_size"], "minutes": round((time.time() - start) / 60, 2),
        "final_loss_avg": None if loss_avg is None else round(loss_avg, 5),
        "speed_px_per_frame": {"min": float(s.min()), "median": float(np.median(s)), "max": float(s.max())},
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", help="training config JSON (keys: %s)" % ", ".join(DEFAULTS))
    p.add_argument("--out", required=True, help="output folder for checkpoint, config and log")
    p.add_argument("--max-minutes", type=float, help="override the wall-clock limit")
    p.add_argument("--max-steps", type=int, help="override the step limit")
    args = p.parse_args(argv)
    overrides = {k: v for k, v in {"max_minutes": args.max_minutes, "max_steps": args.max_steps}.items() if v is not None}
    prov = train(load_train_config(args.config, overrides), Path(args.out))
    print(json.dumps(prov, indent=2))


if __name__ == "__main__":
    main()
