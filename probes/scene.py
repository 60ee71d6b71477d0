"""A probe scene (initial conditions + static layout) and its exact trajectory.

World coordinates: x to the right, y up, in *world units*; the visible world is
``width_w`` x ``height_w`` units with the origin at the bottom-left corner (the
frame width is always ``WORLD_WIDTH`` = 10 units, as in the PhyWorld setup of Kang
et al. 2024, arXiv:2411.02385). Time is in seconds.

Balls move under a common gravity ``g`` (units/s^2, pointing down), reflect
elastically off the enabled walls and collide elastically with each other (mass
proportional to area, i.e. radius^2). The simulator is *event driven*: between
events every ball follows its closed-form parabola, so states at any time are
exact up to float rounding and energy/momentum are conserved exactly by the
collision rule (no time-step error).

Levels (a candle's height, liquid levels) change linearly at ``level_rate``
until the first of them reaches its bound, then all stop together, so a sum of
levels with opposite rates stays constant.

The view (what a frame shows) is ``width_w`` x ``height_w`` units with its
bottom-left corner at the *camera* origin, (0, 0) unless ``camera`` keyframes say
otherwise; the world may be larger than the view (``bounds``: where its walls are,
the view's edges by default), so objects can leave the frame and come back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

WORLD_WIDTH = 10.0  # world units across the frame width
_MAX_EVENTS = 20000  # guard against a pathological event storm
_EPS_T = 1e-9  # events closer than this (s) to "now" are the one just resolved


@dataclass
class Scene:
    """Everything needed to compute the state at any time.

    balls: ``ball_pos`` (N, 2) and ``ball_vel`` (N, 2) at t=0, ``ball_radius`` (N,),
    ``ball_color`` (N, 3) RGB 0-255. ``walls``: (left, right, floor, ceiling).
    rects: (M, 4) ``[x0, y0, x1, y1]`` static boxes, ``rect_color`` (M, 3),
    ``rect_over`` (M,) True = drawn over the balls (an occluder).
    levels: ``level0`` (L,), ``level_rate`` (L,) units/s, bounds ``level_min``/
    ``level_max`` (L,); level l is drawn as a box ``[level_x0, level_base,
    level_x1, level_base + level]`` in ``level_color`` (L, 3), under the balls.
    """

    width_w: float
    height_w: float
    ball_pos: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    ball_vel: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    ball_radius: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ball_color: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    gravity: float = 0.0
    walls: tuple[bool, bool, bool, bool] = (False, False, False, False)
    rects: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    rect_color: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    rect_over: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    level0: np.ndarray = field(default_factory=lambda: np.zeros(0))
    level_rate: np.ndarray = field(default_factory=lambda: np.zeros(0))
    level_min: np.ndarray = field(default_factory=lambda: np.zeros(0))
    level_max: np.ndarray = field(default_factory=lambda: np.zeros(0))
    level_x0: np.ndarray = field(default_factory=lambda: np.zeros(0))
    level_x1: np.ndarray = field(default_factory=lambda: np.zeros(0))
    level_base: np.ndarray = field(default_factory=lambda: np.zeros(0))
    level_color: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    bounds: tuple[float, float, float, float] | None = None
    camera: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))

    @property
    def wall_bounds(self) -> tuple[float, float, float, float]:
        """(left, right, floor, ceiling) of the walls, world units."""
        return self.bounds if self.bounds is not None else (0.0, self.width_w, 0.0, self.height_w)

    def view_at(self, times: np.ndarray) -> np.ndarray:
        """The view's bottom-left corner at each time, (T, 2) world units."""
        times = np.asarray(times, dtype=np.float64)
        if self.camera.shape[0] == 0:
            return np.zeros((times.shape[0], 2))
        k = self.camera
        return np.stack([np.interp(times, k[:, 0], k[:, 1]), np.interp(times, k[:, 0], k[:, 2])], 1)

    @property
    def num_balls(self) -> int:
        return int(self.ball_radius.shape[0])

    @property
    def masses(self) -> np.ndarray:
        """Mass proportional to area (density 1 per unit^2): pi r^2, shape (N,)."""
        return np.pi * self.ball_radius**2

    def trajectory(self, times: np.ndarray) -> "Trajectory":
        """Exact state at each time in ``times`` (s, non-decreasing), shape (T,)."""
        times = np.asarray(times, dtype=np.float64)
        if times.ndim != 1 or np.any(np.diff(times) < 0):
            raise ValueError("times must be a non-decreasing 1-D array")
        pos, vel = _simulate_balls(self, times)  # (T, N, 2) each
        t = times.shape[0]
        n = self.num_balls
        return Trajectory(
            times=times,
            ball_pos=pos,
            ball_vel=vel,
            ball_radius=np.broadcast_to(self.ball_radius, (t, n)).copy(),
            ball_color=np.broadcast_to(self.ball_color.astype(np.float32), (t, n, 3)).copy(),
            ball_hidden=np.zeros((t, n), bool),
            levels=self.levels_at(times),
            view=self.view_at(times),
        )

    def levels_at(self, times: np.ndarray) -> np.ndarray:
        """Levels at each time, shape (T, L); all stop when the first hits a bound."""
        if self.level0.size == 0:
            return np.zeros((len(times), 0))
        rate = self.level_rate
        with np.errstate(divide="ignore", invalid="ignore"):
            room = np.where(rate < 0, (self.level0 - self.level_min) / -rate,
                            np.where(rate > 0, (self.level_max - self.level0) / rate, np.inf))
        t_stop = max(float(np.min(room)), 0.0)
        return self.level0[None, :] + rate[None, :] * np.minimum(times, t_stop)[:, None]


@dataclass
class Trajectory:
    """Per-frame state. ``ball_pos``/``ball_vel`` (T, N, 2) world units(/s),
    ``ball_radius`` (T, N), ``ball_color`` (T, N, 3) float RGB 0-255,
    ``ball_hidden`` (T, N) bool (not drawn: used by perturbations), ``levels`` (T, L),
    ``view`` (T, 2) the view's bottom-left corner in world units (``Scene.camera``)."""

    times: np.ndarray
    ball_pos: np.ndarray
    ball_vel: np.ndarray
    ball_radius: np.ndarray
    ball_color: np.ndarray
    ball_hidden: np.ndarray
    levels: np.ndarray
    view: np.ndarray


def _advance(p: np.ndarray, v: np.ndarray, g: float, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form free flight for ``dt`` seconds; p, v (N, 2)."""
    acc = np.array([0.0, -g])
    return p + v * dt + 0.5 * acc * dt * dt, v + acc * dt


def _wall_times(s: Scene, p: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Time to the next hit of each wall, (N, 4) in order left, right, floor, ceiling."""
    r, g = s.ball_radius, s.gravity
    left, right, floor, ceiling = s.wall_bounds
    n = p.shape[0]
    out = np.full((n, 4), np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        if s.walls[0]:
            out[:, 0] = np.where(v[:, 0] < 0, (p[:, 0] - r - left) / -v[:, 0], np.inf)
        if s.walls[1]:
            out[:, 1] = np.where(v[:, 0] > 0, (right - r - p[:, 0]) / v[:, 0], np.inf)
        vy, gap_floor, gap_ceil = v[:, 1], p[:, 1] - r - floor, ceiling - r - p[:, 1]
        if s.walls[2]:
            if g > 0:  # 0.5 g t^2 - vy t - gap = 0, the positive root
                out[:, 2] = (vy + np.sqrt(np.maximum(vy * vy + 2 * g * gap_floor, 0.0))) / g
            else:
                out[:, 2] = np.where(vy < 0, gap_floor / -vy, np.inf)
        if s.walls[3]:
            if g > 0:  # 0.5 g t^2 - vy t + gap = 0, the first root, only if the apex is high enough
                disc = vy * vy - 2 * g * gap_ceil
                out[:, 3] = np.where((vy > 0) & (disc >= 0), (vy - np.sqrt(np.maximum(disc, 0))) / g, np.inf)
            else:
                out[:, 3] = np.where(vy > 0, gap_ceil / vy, np.inf)
    out[~(out > _EPS_T)] = np.inf  # the wall just resolved, or NaN
    return out


def _pair_times(s: Scene, p: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Time to contact of each approaching pair, (N, N) (upper triangle used).

    Gravity is common to all balls, so relative motion is linear and contact is the
    first root of |dp + dv t| = r_i + r_j."""
    dp = p[None, :, :] - p[:, None, :]  # (N, N, 2): p_j - p_i
    dv = v[None, :, :] - v[:, None, :]  # (N, N, 2)
    rr = s.ball_radius[:, None] + s.ball_radius[None, :]  # (N, N)
    a = np.sum(dv * dv, -1)
    b = 2 * np.sum(dp * dv, -1)
    c = np.sum(dp * dp, -1) - rr * rr
    disc = b * b - 4 * a * c
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (-b - np.sqrt(np.maximum(disc, 0))) / (2 * a)
    ok = (b < 0) & (disc > 0) & (a > 0)  # approaching and actually meeting
    t = np.where(ok, np.maximum(t, 0.0), np.inf)
    t[np.tril_indices(p.shape[0])] = np.inf
    return t


def _resolve(s: Scene, p: np.ndarray, v: np.ndarray, wall: np.ndarray, pair: np.ndarray, t_ev: float):
    """Apply every event that happens at ``t_ev`` (within rounding) in place."""
    tol = 1e-12 + 1e-9 * t_ev
    for i, w in zip(*np.nonzero(wall <= t_ev + tol)):
        axis = 0 if w < 2 else 1
        v[i, axis] = abs(v[i, axis]) if w in (0, 2) else -abs(v[i, axis])
    m = s.masses
    for i, j in zip(*np.nonzero(pair <= t_ev + tol)):
        n = p[j] - p[i]
        n = n / max(np.linalg.norm(n), 1e-12)
        u = float(np.dot(v[i] - v[j], n))  # closing speed along the normal
        if u <= 0:
            continue
        v[i] -= 2 * m[j] / (m[i] + m[j]) * u * n
        v[j] += 2 * m[i] / (m[i] + m[j]) * u * n


def _simulate_balls(s: Scene, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Event-driven simulation sampled at ``times``: positions and velocities (T, N, 2)."""
    n, t_n = s.num_balls, times.shape[0]
    pos = np.zeros((t_n, n, 2))
    vel = np.zeros((t_n, n, 2))
    if n == 0:
        return pos, vel
    p, v = s.ball_pos.astype(np.float64).copy(), s.ball_vel.astype(np.float64).copy()
    interacting = any(s.walls) or n > 1
    if not interacting:  # closed form for every sample at once
        dt = times[:, None, None]  # (T, 1, 1)
        acc = np.array([0.0, -s.gravity])
        return p[None] + v[None] * dt + 0.5 * acc * dt * dt, v[None] + acc * dt
    now, events = 0.0, 0
    wall, pair = _wall_times(s, p, v), _pair_times(s, p, v)  # relative to `now`
    t_event = now + min(wall.min(initial=np.inf), pair.min(initial=np.inf))  # absolute
    for k, target in enumerate(times):
        while t_event <= target:
            dt = t_event - now
            p, v = _advance(p, v, s.gravity, dt)
            now = t_event
            _resolve(s, p, v, wall - dt, pair - dt, 0.0)
            wall, pair = _wall_times(s, p, v), _pair_times(s, p, v)
            t_event = now + min(wall.min(initial=np.inf), pair.min(initial=np.inf))
            events += 1
            if events > _MAX_EVENTS:
                raise RuntimeError("probe simulation: too many collision events")
        pos[k], vel[k] = _advance(p, v, s.gravity, target - now)  # p, v stay at the last event
    return pos, vel
