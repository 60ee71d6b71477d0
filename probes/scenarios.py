"""The eight probe scenarios: named parameters with in-distribution (ID) and
out-of-distribution (OOD) ranges, and a sampler per scenario that builds a Scene.

Ranges follow the PhyWorld setup of Kang et al. 2024 ("How far is video generation
from world model", arXiv:2411.02385): velocity ID [1, 4], OOD [0, 0.8] U [4.5, 6]
world units/s; radius ID [0.7, 1.4]; a 10-unit-wide world, 32 frames of 0.1 s.
Where a scenario cannot fit those ranges in a 10-unit frame (occlusion must
re-emerge inside the clip; candle and transfer rates are of a level, not of a
ball) it declares its own ranges below, with the reason.

Units: lengths in world units, speeds and rates in world units/s, gravity in
world units/s^2, angles in degrees.
"""

from __future__ import annotations

import math

import numpy as np

from vbench_lite.probes.scene import WORLD_WIDTH, Scene

SCENARIOS: tuple[str, ...] = (
    "uniform_motion", "parabola", "collision", "bounce", "occlusion", "count", "candle", "transfer",
)
SPLITS = ("id", "ood")

# name -> RGB; ball colours are far apart (>= ~120 in RGB) so the parser can tell them apart
BALL_COLORS: dict[str, tuple[int, int, int]] = {
    "red": (230, 50, 60), "green": (50, 200, 70), "blue": (60, 100, 245), "yellow": (240, 210, 40),
    "magenta": (215, 60, 215), "cyan": (40, 205, 215), "white": (235, 235, 235),
}
OCCLUDER_COLOR = (120, 120, 120)
CONTAINER_COLOR = (70, 70, 85)
LIQUID_COLOR = (40, 130, 235)
CANDLE_COLOR = (235, 200, 150)

GRAVITY = 2.5  # units/s^2: a 3.2 s clip keeps a thrown ball's arc inside a 10-unit frame

SPEED = {"id": [(1.0, 4.0)], "ood": [(0.0, 0.8), (4.5, 6.0)]}
RADIUS = {"id": [(0.7, 1.4)], "ood": [(0.4, 0.6), (1.5, 1.8)]}
# per scenario: parameter -> split -> list of (lo, hi) intervals (a union)
RANGES: dict[str, dict[str, dict[str, list[tuple[float, float]]]]] = {
    "uniform_motion": {"speed": SPEED, "radius": RADIUS},
    "parabola": {"speed": SPEED, "radius": RADIUS},
    "collision": {"speed": SPEED, "radius": RADIUS},
    "bounce": {"speed": SPEED, "radius": RADIUS},
    # a hidden ball must pass a wider-than-it occluder and re-emerge within 3.2 s in
    # 10 units: slower than 1.4 units/s cannot, so OOD-slow is 1.0-1.4 and balls are smaller
    "occlusion": {"speed": {"id": [(1.5, 4.0)], "ood": [(1.0, 1.4), (4.5, 6.0)]},
                  "radius": {"id": [(0.45, 0.7)], "ood": [(0.3, 0.4), (0.75, 0.85)]}},
    "count": {"speed": SPEED, "radius": {"id": [(0.5, 0.9)], "ood": [(0.3, 0.45)]},
              "num_balls": {"id": [(2, 4)], "ood": [(5, 6)]}},
    # level rates: the whole change must fit in a ~9-unit-tall frame over 3.2 s
    "candle": {"speed": {"id": [(0.5, 2.0)], "ood": [(0.1, 0.4), (2.2, 2.6)]},
               "width": {"id": [(0.8, 1.6)], "ood": [(0.4, 0.7), (1.8, 2.4)]}},
    "transfer": {"speed": {"id": [(0.5, 1.5)], "ood": [(0.1, 0.3), (1.7, 2.0)]}},
}


def draw(rng: np.random.Generator, intervals: list[tuple[float, float]], integer: bool = False) -> float:
    """Uniform over a union of intervals (chosen in proportion to their length)."""
    lengths = np.array([hi - lo + (1 if integer else 0) for lo, hi in intervals], float)
    k = rng.choice(len(intervals), p=lengths / lengths.sum())
    lo, hi = intervals[k]
    return float(rng.integers(lo, hi + 1)) if integer else float(rng.uniform(lo, hi))


def _colors(rng: np.random.Generator, n: int) -> tuple[list[str], np.ndarray]:
    names = [str(c) for c in rng.choice(list(BALL_COLORS), size=n, replace=False)]
    return names, np.array([BALL_COLORS[c] for c in names], float)


def build(scenario: str, split: str, rng: np.random.Generator, height_w: float,
          duration: float, cond_time: float) -> tuple[Scene, dict, str]:
    """Sample one scene. ``duration``: time of the last frame (s); ``cond_time``: time
    of the last conditioning frame (s). Returns (scene, params, prompt)."""
    rg = RANGES[scenario]
    p = {k: draw(rng, v[split], integer=(k == "num_balls")) for k, v in rg.items()}
    if "num_balls" in p:
        p["num_balls"] = int(p["num_balls"])
    p["split"] = split
    return _BUILDERS[scenario](rng, p, height_w, duration, cond_time)


def _direction(rng) -> float:
    return 1.0 if rng.random() < 0.5 else -1.0


def _uniform_motion(rng, p, hw, duration, cond_time):
    r, v, sign = p["radius"], p["speed"], _direction(rng)
    ang = math.radians(rng.uniform(-10, 10))
    x0 = r + 0.3 if sign > 0 else WORLD_WIDTH - r - 0.3
    y0 = hw / 2 + rng.uniform(-1.0, 1.0)
    names, col = _colors(rng, 1)
    s = Scene(WORLD_WIDTH, hw, ball_pos=np.array([[x0, y0]]),
              ball_vel=np.array([[sign * v * math.cos(ang), v * math.sin(ang)]]),
              ball_radius=np.array([r]), ball_color=col)
    p.update(angle_deg=math.degrees(ang), direction="right" if sign > 0 else "left", color=names[0])
    prompt = (f"A {names[0]} ball of radius {r:.1f} slides to the {p['direction']} at a constant "
              f"{v:.1f} units per second on a dark background.")
    return s, p, prompt


def _parabola(rng, p, hw, duration, cond_time):
    r, v, sign = p["radius"], p["speed"], _direction(rng)
    ang = math.radians(rng.uniform(30, 60))
    x0 = r + 0.3 if sign > 0 else WORLD_WIDTH - r - 0.3
    y0 = rng.uniform(2.0, 4.0)
    names, col = _colors(rng, 1)
    s = Scene(WORLD_WIDTH, hw, ball_pos=np.array([[x0, y0]]),
              ball_vel=np.array([[sign * v * math.cos(ang), v * math.sin(ang)]]),
              ball_radius=np.array([r]), ball_color=col, gravity=GRAVITY)
    p.update(angle_deg=math.degrees(ang), gravity=GRAVITY, color=names[0])
    prompt = (f"A {names[0]} ball is thrown at {v:.1f} units per second, {math.degrees(ang):.0f} degrees "
              f"above horizontal, and falls under gravity on a dark background.")
    return s, p, prompt


def _collision(rng, p, hw, duration, cond_time):
    r_a = p["radius"]
    r_b = max(0.35, r_a * rng.uniform(0.55, 0.8))
    if rng.random() < 0.5:  # the moving ball is the bigger or the smaller one
        r_a, r_b = r_b, r_a
    v = p["speed"]
    u = v * rng.uniform(0.0, 0.5)  # the target ball drifts towards the striker
    y = hw / 2
    xa, xb = r_a + 0.3, rng.uniform(5.5, 7.0)
    names, col = _colors(rng, 2)
    s = Scene(WORLD_WIDTH, hw, ball_pos=np.array([[xa, y], [xb, y]]),
              ball_vel=np.array([[v, 0.0], [-u, 0.0]]), ball_radius=np.array([r_a, r_b]), ball_color=col)
    p.update(radius_b=r_b, radius_a=r_a, speed_b=u, colors=names)
    prompt = (f"A {names[0]} ball of radius {r_a:.1f} moving right at {v:.1f} units per second hits a "
              f"{names[1]} ball of radius {r_b:.1f} in a perfectly elastic collision.")
    return s, p, prompt


def _bounce(rng, p, hw, duration, cond_time):
    r, v = p["radius"], p["speed"]
    ang = rng.uniform(0, 2 * math.pi)
    x0, y0 = rng.uniform(r + 0.5, WORLD_WIDTH - r - 0.5), rng.uniform(hw / 2, hw - r - 0.5)
    names, col = _colors(rng, 1)
    s = Scene(WORLD_WIDTH, hw, ball_pos=np.array([[x0, y0]]),
              ball_vel=np.array([[v * math.cos(ang), v * math.sin(ang)]]), ball_radius=np.array([r]),
              ball_color=col, gravity=GRAVITY, walls=(True, True, True, True))
    p.update(angle_deg=math.degrees(ang), gravity=GRAVITY, color=names[0])
    prompt = (f"A {names[0]} ball bounces elastically off the floor and walls of a box under gravity, "
              f"starting at {v:.1f} units per second.")
    return s, p, prompt


def _occlusion(rng, p, hw, duration, cond_time):
    """The ball is fully visible in the conditioning frames, fully hidden for a while,
    and fully visible again for at least 0.3 s before the clip ends (resampled until so)."""
    sign = _direction(rng)
    for attempt in range(100):
        if attempt:  # infeasible (too slow for the clip length): redraw within the same split
            p = {k: draw(rng, val[p["split"]]) for k, val in RANGES["occlusion"].items()} | {"split": p["split"]}
        r, v = p["radius"], p["speed"]
        x0 = r + 0.2
        t_hide = rng.uniform(0.2, 0.6)  # seconds fully hidden
        x_left = x0 + v * cond_time + r + rng.uniform(0.35, 0.9)  # occluder left edge (clear by > 1 px at 32x32)
        width = 2 * r + v * t_hide
        t_out = (x_left + width + r - x0) / v  # fully out again
        if t_out + 0.3 <= duration and x_left + width + 2 * r + 0.3 * v <= WORLD_WIDTH:
            break  # (after 100 tries a very short clip keeps the last draw: it may not re-emerge)
    y = hw / 2 + rng.uniform(-1.0, 1.0)
    x_right = x_left + width
    if sign < 0:  # mirror the layout
        x0, x_left, x_right = WORLD_WIDTH - x0, WORLD_WIDTH - x_right, WORLD_WIDTH - x_left
    names, col = _colors(rng, 1)
    occ = np.array([[x_left, y - r - 1.5, x_right, y + r + 1.5]])
    s = Scene(WORLD_WIDTH, hw, ball_pos=np.array([[x0, y]]), ball_vel=np.array([[sign * v, 0.0]]),
              ball_radius=np.array([r]), ball_color=col, rects=occ,
              rect_color=np.array([OCCLUDER_COLOR], float), rect_over=np.array([True]))
    p.update(occluder_x0=x_left, occluder_x1=x_right, hidden_s=t_hide, color=names[0],
             direction="right" if sign > 0 else "left")
    prompt = (f"A {names[0]} ball moves {p['direction']} at {v:.1f} units per second, passes behind a grey "
              f"wall and comes out on the other side.")
    return s, p, prompt


def _count(rng, p, hw, duration, cond_time):
    n, v = int(p["num_balls"]), p["speed"]
    radii = np.array([p["radius"]] + [draw(rng, RANGES["count"]["radius"][p["split"]])
                                      for _ in range(n - 1)])
    pos = np.zeros((n, 2))
    for i in range(n):  # rejection-sample non-overlapping starts
        for _ in range(500):
            c = np.array([rng.uniform(radii[i] + 0.1, WORLD_WIDTH - radii[i] - 0.1),
                          rng.uniform(radii[i] + 0.1, hw - radii[i] - 0.1)])
            if all(np.linalg.norm(c - pos[j]) > radii[i] + radii[j] + 0.2 for j in range(i)):
                break
        pos[i] = c
    ang = rng.uniform(0, 2 * np.pi, n)
    vel = v * np.stack([np.cos(ang), np.sin(ang)], 1)  # (N, 2)
    names, col = _colors(rng, n)
    s = Scene(WORLD_WIDTH, hw, ball_pos=pos, ball_vel=vel, ball_radius=radii, ball_color=col,
              walls=(True, True, True, True))
    p.update(radii=radii.tolist(), colors=names)
    prompt = (f"{n} balls ({', '.join(names)}) move at {v:.1f} units per second and bounce off the walls "
              f"and each other inside a box; there are always exactly {n} balls.")
    return s, p, prompt


def _candle(rng, p, hw, duration, cond_time):
    rate, w = p["speed"], p["width"]
    base = 1.0
    h0 = min(rate * duration + rng.uniform(0.5, 1.5), hw - base - 0.5)
    xc = WORLD_WIDTH / 2 + rng.uniform(-2.0, 2.0)
    s = Scene(WORLD_WIDTH, hw, level0=np.array([h0]), level_rate=np.array([-rate]),
              level_min=np.array([0.2]), level_max=np.array([hw]), level_x0=np.array([xc - w / 2]),
              level_x1=np.array([xc + w / 2]), level_base=np.array([base]),
              level_color=np.array([CANDLE_COLOR], float))
    p.update(height0=h0, x_center=xc)
    prompt = (f"A candle {w:.1f} units wide and {h0:.1f} units tall burns down steadily, getting shorter by "
              f"{rate:.1f} units per second.")
    return s, p, prompt


def _transfer(rng, p, hw, duration, cond_time):
    q = p["speed"]
    base, depth = 1.5, min(6.0, hw - 2.5)
    left0 = min(q * duration + rng.uniform(0.3, 1.0), depth - 0.2)
    right0 = rng.uniform(0.2, 0.8)
    cont = np.array([[1.5, base, 4.0, base + depth], [6.0, base, 8.5, base + depth]])  # liquid columns
    wall = 0.25  # tank walls and floor around the liquid, so every liquid edge sits on tank colour
    tanks = cont + np.array([-wall, -wall, wall, 0.0])
    s = Scene(WORLD_WIDTH, hw, rects=tanks, rect_color=np.array([CONTAINER_COLOR] * 2, float),
              rect_over=np.array([False, False]), level0=np.array([left0, right0]),
              level_rate=np.array([-q, q]), level_min=np.array([0.05, 0.05]),
              level_max=np.array([depth, depth]), level_x0=cont[:, 0], level_x1=cont[:, 2],
              level_base=cont[:, 1], level_color=np.array([LIQUID_COLOR] * 2, float))
    p.update(level_left0=left0, level_right0=right0, depth=depth)
    prompt = (f"Blue liquid flows from the left tank into the right tank at {q:.1f} units of level per "
              f"second; the total amount of liquid stays the same.")
    return s, p, prompt


_BUILDERS = {
    "uniform_motion": _uniform_motion, "parabola": _parabola, "collision": _collision, "bounce": _bounce,
    "occlusion": _occlusion, "count": _count, "candle": _candle, "transfer": _transfer,
}
