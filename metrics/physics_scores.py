"""Physics scores as pure functions of (parse, truth).

``parse`` is a ``vbench_lite.probes.parse.ProbeParse`` read from a generated video;
``truth`` the case's ``ProbeTruth``. Every score looks only at frames *after the
conditioning frames* of the probe protocol (``truth.scored``: t >= 0.4 s, the same
for every generator, however many frames it was given) and, for balls, only where
the true ball is fully in view (``truth.ball_visible``): as in Kang et al. 2024
(arXiv:2411.02385), velocity error is the mean |v - v_true| over frames where the
true object is in view. A ball that should be seen but is not found is a
*detection failure*: it is counted in ``detection_failure_rate`` and excluded
from the error means (never replaced by a default). A score with no frame to
look at is NaN.

Units: positions in world units (the frame is 10 units wide), velocities in
world units/s, colours in RGB 0-255, relative errors as fractions.

Relative errors are *bounded*: each is the symmetric form
``|x - x_true| / (|x| + |x_true| + floor)`` (``bounded_relative``), in [0, 1): 0 is
exact, 1/3 is a value twice or half the truth, near 1 is off by orders of magnitude
(a count of 0 for 3 balls is 1). ``floor`` is a stated physical scale where the truth
can be near 0 -- momentum and energy of a slow ball (OOD speeds reach 0): those of the
true masses moving at ``V_REF`` = 1 world unit/s, the lower end of the ID speed range
(Kang et al. 2024) -- and 0 where the truth is positive by construction (a count >= 1,
areas and radii of balls >= 0.3 units, a transfer's total level >= 0.1). Before
(conservation and shape_drift version 1) a denominator of the truth alone let one
slow OOD ball give energy_error 1.7e4 and a gate tolerance of 421.
"""

from __future__ import annotations

import numpy as np

from vbench_lite.probes.scenarios import AREA, COUNT, ENERGY, LEVEL_TOTAL, MOMENTUM, OFFSCREEN, features

PERMANENCE_POS_TOL = 0.5  # x true radius: re-emerged "at the right place"
PERMANENCE_COLOR_TOL = 40.0  # RGB distance: "the same colour"
PERMANENCE_SIZE_TOL = 0.25  # relative radius error: "the same size"
V_REF = 1.0  # world units/s: the floor of momentum/energy errors' scale (ID speeds start at 1)


def bounded_relative(err, x, x_true, floor: float = 0.0):
    """``err / (|x| + |x_true| + floor)``, elementwise: a relative error in [0, 1)
    (``err`` is |x - x_true|, or a vector norm of the difference)."""
    return np.asarray(err, float) / (np.abs(x) + np.abs(x_true) + floor)


def _after(truth) -> np.ndarray:
    """(T,) bool: frames after the protocol's conditioning frames."""
    return truth.scored


def _nanmean(x) -> float:
    x = np.asarray(x, float)
    return float(np.nanmean(x)) if np.isfinite(x).any() else float("nan")


def _frame_mean(err: np.ndarray) -> np.ndarray:
    """(T, N) with NaNs -> (T,) mean over objects, NaN where none."""
    ok = np.isfinite(err)
    with np.errstate(invalid="ignore"):
        return np.where(ok.any(1), np.nansum(np.where(ok, err, 0), 1) / np.maximum(ok.sum(1), 1), np.nan)


def detection_failure_rate(parse, truth) -> float:
    """Fraction of (frame, ball) pairs after conditioning, truly in view, that were not found."""
    want = truth.ball_visible & _after(truth)[:, None]  # (T, N)
    return float((want & ~parse.ball_found).sum() / want.sum()) if want.any() else float("nan")


def position_error(parse, truth) -> tuple[float, np.ndarray]:
    """Mean |p - p_true| (world units) and its per-frame timeline (T,)."""
    err = np.linalg.norm(parse.ball_pos - truth.traj.ball_pos, axis=-1)  # (T, N), NaN if not found
    err[~(truth.ball_visible & _after(truth)[:, None])] = np.nan
    return _nanmean(err), _frame_mean(err)


def velocity_error(parse, truth) -> tuple[float, np.ndarray]:
    """Mean |v - v_true| (world units/s) from backward differences of positions, over
    scored frames where the ball is in view at t-1 and t; timeline (T,)."""
    fps = truth.fps
    v = np.diff(parse.ball_pos, axis=0) * fps  # (T-1, N, 2)
    v_true = np.diff(truth.traj.ball_pos, axis=0) * fps  # (T-1, N, 2) same estimator as the parse
    err = np.full(truth.traj.ball_radius.shape, np.nan)  # (T, N)
    err[1:] = np.linalg.norm(v - v_true, axis=-1)
    ok = truth.ball_visible.copy()
    ok[1:] &= truth.ball_visible[:-1]
    ok[0] = False
    err[~(ok & _after(truth)[:, None])] = np.nan
    return _nanmean(err), _frame_mean(err)


def permanence(parse, truth, ball: int = 0) -> dict[str, float]:
    """Object permanence after an occluder, or -- where the world holds the feature
    ``offscreen`` -- after leaving the view (hidden = wholly out of view; "out" = the
    share of the disc inside the view).

    The true re-emergence frame ``e`` is the first fully visible frame after the
    first fully hidden one. A frame "holds" when the ball is found within
    ``PERMANENCE_POS_TOL`` radii of its true place, within ``PERMANENCE_COLOR_TOL``
    of its colour and ``PERMANENCE_SIZE_TOL`` of its size. Returns
    ``permanence``: fraction of frames from ``e`` on (truly in view) that hold, in [0, 1];
    ``reemergence_delay``: |first holding frame after occlusion - true time| in seconds,
    the true time being when >= (1 - size tol)^2 of the disc is out (censored at the
    clip end if it never comes back);
    ``reemergence_position_error``: world units at the first frame from ``e`` on
    where the ball is found (NaN when it is never found again).
    Off-screen worlds add ``reemergence_identity``: fraction of frames from ``e`` on
    (truly in view) where the ball is found with its colour and size, wherever it is.
    """
    offscreen = OFFSCREEN in features(truth.scenario)
    occ = (truth.ball_offscreen if offscreen else truth.ball_occluded)[:, ball]
    t_n = occ.shape[0]
    if not occ.any():
        raise ValueError(f"the true ball is never fully {'out of view' if offscreen else 'occluded'} in this case")
    first = int(np.argmax(occ))
    vis = truth.ball_visible[:, ball]
    after_occ = np.nonzero(vis[first:])[0]
    if not after_occ.size:
        raise ValueError("the true ball does not re-emerge within this clip")
    e = first + int(after_occ[0])
    # "back in view" for timing: enough of the disc out that a blob would pass the size
    # tolerance ((1 - tol)^2 of its area), so a perfect video scores a delay of ~0
    shown = truth.in_view_fraction(ball) if offscreen else truth.occluder_visible_fraction(ball)  # (T,)
    out_enough = shown >= (1 - PERMANENCE_SIZE_TOL) ** 2
    e_time = first + int(np.argmax(out_enough[first:])) if out_enough[first:].any() else e
    r_true = truth.traj.ball_radius[:, ball]  # (T,)
    pos_err = np.linalg.norm(parse.ball_pos[:, ball] - truth.traj.ball_pos[:, ball], axis=-1)  # (T,)
    col_err = np.linalg.norm(parse.ball_color[:, ball] - truth.scene.ball_color[ball], axis=-1)  # (T,)
    size_err = np.abs(parse.ball_radius[:, ball] - r_true) / r_true  # (T,)
    with np.errstate(invalid="ignore"):
        holds = (parse.ball_found[:, ball] & (pos_err <= PERMANENCE_POS_TOL * r_true)
                 & (col_err <= PERMANENCE_COLOR_TOL) & (size_err <= PERMANENCE_SIZE_TOL))  # (T,)
    post = vis.copy()
    post[:e] = False
    score = float(holds[post].mean())
    back = np.nonzero(holds[first + 1:])[0]
    found = np.nonzero(parse.ball_found[e:, ball] & vis[e:])[0]
    delay = abs(first + 1 + int(back[0]) - e_time) / truth.fps if back.size else (t_n - e_time) / truth.fps
    at = e + int(found[0]) if found.size else None  # first sighting once it is truly fully out
    out = {"permanence": score, "reemergence_delay": float(delay),
           "reemergence_position_error": float(pos_err[at]) if at is not None else float("nan")}
    if offscreen:
        with np.errstate(invalid="ignore"):
            same = parse.ball_found[:, ball] & (col_err <= PERMANENCE_COLOR_TOL) & (size_err <= PERMANENCE_SIZE_TOL)
        out["reemergence_identity"] = float(same[post].mean())
    return out


def conservation(parse, truth) -> dict[str, float]:
    """Relative deviation from the truth of conserved quantities, after conditioning.

    All are bounded relative errors (``bounded_relative``, in [0, 1)), averaged over
    frames. Balls (frames where every true ball is in view): ``count_error`` of n, the
    ball-coloured blobs seen, against N; ``area_error`` of the total ball area (sum pi r^2)
    over frames where all balls are found. Two-ball collisions add ``momentum_error``
    (|P - P_true| / (|P| + |P_true| + sum(m) V_REF)) and ``energy_error`` (the same with
    E and sum(m) V_REF^2 / 2) from backward-difference velocities and the true masses
    (pi r^2). Levels (transfer): ``level_error`` of the total level.
    """
    out: dict[str, float] = {}
    after = _after(truth)
    n = truth.scene.num_balls
    feats = features(truth.scenario)
    if n and {COUNT, AREA} & feats:
        allvis = truth.ball_visible.all(1) & after  # (T,)
        if allvis.any():
            seen = parse.count[allvis].astype(float)
            if COUNT in feats:
                out["count_error"] = float(np.mean(bounded_relative(np.abs(seen - n), seen, n)))
            allfound = allvis & parse.ball_found.all(1)
            a_true = (np.pi * truth.traj.ball_radius**2).sum(1)  # (T,)
            a_det = (np.pi * parse.ball_radius**2).sum(1)  # (T,) NaN where any is missing
            a, at = a_det[allfound], a_true[allfound]
            if AREA in feats:
                out["area_error"] = (float(np.mean(bounded_relative(np.abs(a - at), a, at)))
                                     if allfound.any() else float("nan"))
    if {MOMENTUM, ENERGY} & feats:
        out.update({k: v for k, v in _momentum_energy(parse, truth).items()
                    if k.split("_")[0] in feats})
    if LEVEL_TOTAL in feats:
        tot_true = truth.traj.levels.sum(1)  # (T,)
        tot = parse.levels.sum(1)  # (T,)
        t, tt = tot[after], tot_true[after]
        out["level_error"] = float(np.mean(bounded_relative(np.abs(t - tt), t, tt)))
    return out


def _momentum_energy(parse, truth) -> dict[str, float]:
    m = truth.scene.masses  # (N,)
    fps = truth.fps
    v = np.diff(parse.ball_pos, axis=0) * fps  # (T-1, N, 2)
    v_true = np.diff(truth.traj.ball_pos, axis=0) * fps  # (T-1, N, 2)
    vis = truth.ball_visible.all(1)
    ok = vis[1:] & vis[:-1] & _after(truth)[1:] & np.isfinite(v).all((1, 2))  # (T-1,)
    if not ok.any():
        return {"momentum_error": float("nan"), "energy_error": float("nan")}
    p = (m[None, :, None] * v).sum(1)  # (T-1, 2)
    p_true = (m[None, :, None] * v_true).sum(1)
    e = 0.5 * (m[None] * (v**2).sum(-1)).sum(1)  # (T-1,)
    e_true = 0.5 * (m[None] * (v_true**2).sum(-1)).sum(1)
    # floors: the true masses moving at V_REF, so a near-still scene is not judged on parse noise
    p_floor, e_floor = float(m.sum()) * V_REF, 0.5 * float(m.sum()) * V_REF**2
    pn, pn_true = np.linalg.norm(p, axis=-1)[ok], np.linalg.norm(p_true, axis=-1)[ok]
    p_err = bounded_relative(np.linalg.norm(p - p_true, axis=-1)[ok], pn, pn_true, p_floor)
    e_err = bounded_relative(np.abs(e - e_true)[ok], e[ok], e_true[ok], e_floor)
    return {"momentum_error": float(np.mean(p_err)), "energy_error": float(np.mean(e_err))}


def monotone_change(parse, truth) -> dict[str, float]:
    """Steady change of levels (candle height, liquid levels).

    ``monotone_fraction``: fraction of steps after conditioning (where the true
    level moves) in which the read level moves the same way by at least half the
    true step, in [0, 1]. ``rate_error``: |fitted slope - true slope| in world
    units/s (least squares over the frames from the last conditioning frame on),
    mean over levels."""
    lv, lv_true = parse.levels, truth.traj.levels  # (T, L)
    d, d_true = np.diff(lv, axis=0), np.diff(lv_true, axis=0)  # (T-1, L)
    step_after = _after(truth)[1:]  # (T-1,)
    moving = (np.abs(d_true) > 1e-9) & step_after[:, None]
    right = (np.sign(d) == np.sign(d_true)) & (np.abs(d) >= 0.5 * np.abs(d_true))
    frac = float(right[moving].mean()) if moving.any() else float("nan")
    sel = np.arange(truth.num_frames) >= max(truth.first_scored - 1, 0)
    t = truth.times[sel]
    if t.size < 2:
        return {"monotone_fraction": frac, "rate_error": float("nan")}
    slope = np.polyfit(t, lv[sel], 1)[0]  # (L,)
    slope_true = np.polyfit(t, lv_true[sel], 1)[0]
    return {"monotone_fraction": frac, "rate_error": float(np.mean(np.abs(slope - slope_true)))}


def shape_drift(parse, truth) -> tuple[dict[str, float], np.ndarray]:
    """Change of each ball's size and colour over time, relative to how it looked in
    the conditioning frames (median there; the true radius/colour when it was not
    seen in them). ``size_drift``: mean bounded relative error of r against r_ref
    (|r - r_ref| / (r + r_ref), in [0, 1));
    ``color_drift``: mean RGB distance to the reference colour. Timeline: size drift."""
    vis_found = truth.ball_visible & parse.ball_found  # (T, N)
    cond = ~_after(truth)
    n = truth.scene.num_balls
    r_ref, c_ref = np.empty(n), np.empty((n, 3))
    for i in range(n):
        seen = vis_found[:, i] & cond
        r_ref[i] = np.median(parse.ball_radius[seen, i]) if seen.any() else truth.scene.ball_radius[i]
        c_ref[i] = np.median(parse.ball_color[seen, i], axis=0) if seen.any() else truth.scene.ball_color[i]
    use = vis_found & _after(truth)[:, None]  # (T, N)
    size = bounded_relative(np.abs(parse.ball_radius - r_ref[None]), parse.ball_radius, r_ref[None])  # (T, N)
    color = np.linalg.norm(parse.ball_color - c_ref[None], axis=-1)  # (T, N)
    size[~use], color[~use] = np.nan, np.nan
    return {"size_drift": _nanmean(size), "color_drift": _nanmean(color)}, _frame_mean(size)
