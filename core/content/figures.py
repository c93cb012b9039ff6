"""Figures for items: a small YAML spec rendered to a PNG for a chat message.

Kinds: ``table``, ``bar``, ``scatter``, ``function``, ``triangle`` and
``circle`` (fields in docs/question-format.md). :func:`validate_figure`
lists what is wrong with a spec (the loader reports it with file and line);
:func:`render_figure` draws it with matplotlib's Agg backend, 720 px wide,
with no pyplot state, so renders are deterministic and thread-friendly.

A ``function`` expression is never ``eval``-ed: it is parsed with ``ast`` and
only numbers, ``x``, ``pi``, ``e``, ``+ - * / **`` and a few numpy functions
are allowed.
"""

from __future__ import annotations

import ast
import io
import math
from collections.abc import Callable
from typing import Any

import numpy as np

KINDS = ("table", "bar", "scatter", "function", "triangle", "circle")

WIDTH_PX = 720
DPI = 120
_FONT = 13

_COMMON = {"kind", "title", "caption"}
_FIELDS: dict[str, tuple[set[str], set[str]]] = {  # kind → (required, optional)
    "table": ({"columns", "rows"}, set()),
    "bar": ({"labels", "values"}, {"xlabel", "ylabel", "horizontal"}),
    "scatter": ({"points"}, {"line", "xlabel", "ylabel", "xlim", "ylim"}),
    "function": (
        {"expr", "xmin", "xmax"},
        {"ymin", "ymax", "points", "labels", "xlabel", "ylabel"},
    ),
    "triangle": ({"vertices"}, {"labels", "angles", "right_angle", "not_to_scale"}),
    "circle": (
        {"center", "radius"},
        {"points", "segments", "labels", "center_label", "axes", "not_to_scale"},
    ),
}

MAX_EXPR_LENGTH = 200
_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "sqrt": np.sqrt,
    "abs": np.abs,
    "exp": np.exp,
    "log": np.log,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}

Expression = Callable[[np.ndarray], np.ndarray]


class FigureError(ValueError):
    """A figure spec that cannot be rendered; the message lists the problems."""


# -- safe expressions ---------------------------------------------------------------


def compile_expression(text: str) -> Expression:
    """Turn ``"x**2 - 4*x + 3"`` into a vectorised function of x, or raise FigureError.

    Only numbers, x, pi, e, + - * / **, unary minus and sqrt, abs, exp, log,
    sin, cos, tan are allowed; anything else (names, attributes, calls to
    other functions, lambdas…) is refused before any evaluation.
    """
    if not isinstance(text, str) or not text.strip():
        raise FigureError("expr must be a non-empty string such as 'x**2 - 4*x + 3'")
    if len(text) > MAX_EXPR_LENGTH:
        raise FigureError(f"expr is longer than {MAX_EXPR_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise FigureError(
            f"expr {text!r} is not a valid expression ({exc.__class__.__name__})"
        ) from None
    return _build(tree.body, text)


def _build(node: ast.AST, text: str) -> Expression:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FigureError(f"expr {text!r}: only numbers are allowed as constants")
        # A numpy float keeps 10**10**10 an overflow to inf, never a huge int.
        constant = np.float64(value)
        return lambda x: np.full_like(x, constant, dtype=float)
    if isinstance(node, ast.Name):
        if node.id == "x":
            return lambda x: x
        if node.id in _CONSTANTS:
            c = _CONSTANTS[node.id]
            return lambda x: np.full_like(x, c, dtype=float)
        raise FigureError(f"expr {text!r}: unknown name {node.id!r} (use x, pi or e)")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _build(node.operand, text)
        if isinstance(node.op, ast.USub):
            return lambda x: np.negative(operand(x))
        return operand
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.BitXor):
            raise FigureError(f"expr {text!r}: write powers with ** (x**2), not ^")
        op = _BINARY.get(type(node.op))
        if op is None:
            raise FigureError(f"expr {text!r}: operator {type(node.op).__name__} is not allowed")
        left, right = _build(node.left, text), _build(node.right, text)
        return lambda x: op(left(x), right(x))
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in _FUNCTIONS or node.keywords or len(node.args) != 1:
            allowed = ", ".join(_FUNCTIONS)
            raise FigureError(f"expr {text!r}: only one-argument calls of {allowed} are allowed")
        fn, arg = _FUNCTIONS[name], _build(node.args[0], text)
        return lambda x: fn(arg(x))
    raise FigureError(f"expr {text!r}: {type(node).__name__} is not allowed")


def evaluate(expr: Expression, xs: np.ndarray) -> np.ndarray:
    """Evaluate a compiled expression; undefined points become NaN, never errors."""
    with np.errstate(all="ignore"):
        ys = np.asarray(expr(np.asarray(xs, dtype=float)), dtype=float)
    ys = np.broadcast_to(ys, np.shape(xs)).copy()
    ys[~np.isfinite(ys)] = np.nan
    return ys


# -- validation -------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_point(value: Any) -> bool:
    return isinstance(value, list | tuple) and len(value) == 2 and all(map(_is_number, value))


def _is_text(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def validate_figure(spec: Any) -> list[str]:
    """The problems of a figure spec, as sentences; empty if it can be rendered."""
    if not isinstance(spec, dict):
        return ["figure must be a mapping with a kind (" + ", ".join(KINDS) + ")"]
    kind = spec.get("kind")
    if not isinstance(kind, str) or kind not in _FIELDS:
        return [f"figure kind {kind!r} is not one of " + ", ".join(KINDS)]
    required, optional = _FIELDS[kind]
    problems = [f"figure ({kind}) is missing {name}" for name in sorted(required - spec.keys())]
    unknown = spec.keys() - required - optional - _COMMON
    problems += [
        f"figure ({kind}) has unknown field {name!r}" for name in sorted(map(str, unknown))
    ]
    for name in ("title", "caption", "xlabel", "ylabel"):
        if name in spec and not isinstance(spec[name], str):
            problems.append(f"figure {name} must be text")
    if problems:
        return problems
    return _CHECKS[kind](spec)


def _check_table(spec: dict[str, Any]) -> list[str]:
    columns, rows = spec["columns"], spec["rows"]
    if not isinstance(columns, list) or not columns or not all(map(_is_text, columns)):
        return ["table columns must be a non-empty list of headings"]
    if len(columns) > 8:
        return ["table has more than 8 columns; it would not be readable on a phone"]
    if not isinstance(rows, list) or not rows:
        return ["table rows must be a non-empty list of rows"]
    if len(rows) > 20:
        return ["table has more than 20 rows"]
    problems = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, list) or len(row) != len(columns):
            problems.append(f"table row {i} must be a list of {len(columns)} cells")
        elif not all(map(_is_text, row)):
            problems.append(f"table row {i} has a cell that is not text or a number")
    return problems


def _check_bar(spec: dict[str, Any]) -> list[str]:
    labels, values = spec["labels"], spec["values"]
    if not isinstance(labels, list) or not labels or not all(map(_is_text, labels)):
        return ["bar labels must be a non-empty list"]
    if not isinstance(values, list) or not all(map(_is_number, values)):
        return ["bar values must be a list of numbers"]
    if len(labels) != len(values):
        return [f"bar has {len(labels)} labels but {len(values)} values"]
    if "horizontal" in spec and not isinstance(spec["horizontal"], bool):
        return ["bar horizontal must be true or false"]
    return []


def _check_limits(spec: dict[str, Any], *names: str) -> list[str]:
    problems = []
    for name in names:
        if name in spec:
            lim = spec[name]
            if not _is_point(lim) or lim[0] >= lim[1]:
                problems.append(f"{name} must be [low, high] with low < high")
    return problems


def _check_scatter(spec: dict[str, Any]) -> list[str]:
    points = spec["points"]
    if not isinstance(points, list) or not points or not all(map(_is_point, points)):
        return ["scatter points must be a non-empty list of [x, y] pairs"]
    problems = _check_limits(spec, "xlim", "ylim")
    if "line" in spec:
        line = spec["line"]
        if (
            not isinstance(line, dict)
            or set(line) != {"slope", "intercept"}
            or not all(map(_is_number, line.values()))
        ):
            problems.append("scatter line must be {slope: number, intercept: number}")
    return problems


def _check_function(spec: dict[str, Any]) -> list[str]:
    problems = []
    exprs = spec["expr"] if isinstance(spec["expr"], list) else [spec["expr"]]
    if not exprs or len(exprs) > 4:
        problems.append("function expr must be one expression or a list of 1 to 4")
    for text in exprs:
        try:
            compile_expression(text)
        except FigureError as exc:
            problems.append(str(exc))
    if not all(_is_number(spec[k]) for k in ("xmin", "xmax")) or spec["xmin"] >= spec["xmax"]:
        problems.append("function xmin and xmax must be numbers with xmin < xmax")
    if ("ymin" in spec) != ("ymax" in spec):
        problems.append("function needs both ymin and ymax, or neither")
    elif "ymin" in spec and (
        not all(_is_number(spec[k]) for k in ("ymin", "ymax")) or spec["ymin"] >= spec["ymax"]
    ):
        problems.append("function ymin and ymax must be numbers with ymin < ymax")
    points = spec.get("points", [])
    if not isinstance(points, list) or not all(map(_is_point, points)):
        problems.append("function points must be a list of [x, y] pairs")
    labels = spec.get("labels", [])
    if not isinstance(labels, list) or len(labels) > len(exprs) or not all(map(_is_text, labels)):
        problems.append("function labels must be a list with one text per expr")
    return problems


def _check_triangle(spec: dict[str, Any]) -> list[str]:
    vertices = spec["vertices"]
    if (
        not isinstance(vertices, dict)
        or len(vertices) != 3
        or not all(isinstance(k, str) for k in vertices)
        or not all(map(_is_point, vertices.values()))
    ):
        return ["triangle vertices must map three names to [x, y], e.g. {A: [0, 0], ...}"]
    names = list(vertices)
    a, b, c = (np.array(vertices[n], dtype=float) for n in names)
    (ux, uy), (vx, vy) = b - a, c - a
    if abs(ux * vy - uy * vx) < 1e-9:
        return ["triangle vertices are collinear"]
    problems = []
    labels = spec.get("labels", {})
    if not isinstance(labels, dict):
        problems.append("triangle labels must map sides (AB) to text")
    else:
        for side, text in labels.items():
            if _side(str(side), names) is None:
                problems.append(
                    f"triangle label {side!r} is not a side ({', '.join(_sides(names))})"
                )
            if not _is_text(text):
                problems.append(f"triangle label {side!r} must be text")
    angles = spec.get("angles", {})
    if not isinstance(angles, dict) or any(k not in vertices for k in angles):
        problems.append("triangle angles must map vertex names to text, e.g. {A: 30°}")
    if "right_angle" in spec:
        at = spec["right_angle"]
        if at not in vertices:
            problems.append(f"triangle right_angle {at!r} is not a vertex")
        else:
            others = [np.array(vertices[n], dtype=float) for n in names if n != at]
            p = np.array(vertices[at], dtype=float)
            u, v = others[0] - p, others[1] - p
            cos = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))
            if abs(cos) > 0.02 and not spec.get("not_to_scale"):
                angle = math.degrees(math.acos(max(-1.0, min(1.0, cos))))
                problems.append(
                    f"triangle angle at {at} is {angle:.0f}°, not 90° (or set not_to_scale: true)"
                )
    if "not_to_scale" in spec and not isinstance(spec["not_to_scale"], bool):
        problems.append("not_to_scale must be true or false")
    return problems


def _sides(names: list[str]) -> list[str]:
    return [names[0] + names[1], names[1] + names[2], names[0] + names[2]]


def _side(label: str, names: list[str]) -> tuple[str, str] | None:
    for p in names:
        for q in names:
            if p != q and label == p + q:
                return p, q
    return None


def _check_circle(spec: dict[str, Any]) -> list[str]:
    problems = []
    if not _is_point(spec["center"]):
        problems.append("circle center must be [x, y]")
    if not _is_number(spec["radius"]) or spec["radius"] <= 0:
        problems.append("circle radius must be a positive number")
    points = spec.get("points", {})
    if not isinstance(points, dict) or not all(map(_is_point, points.values())):
        problems.append("circle points must map names to [x, y]")
        points = {}
    center_label = spec.get("center_label", "O")
    if not isinstance(center_label, str):
        problems.append("circle center_label must be text")
    names = {str(k) for k in points} | {str(center_label)}
    segments = spec.get("segments", [])
    if not isinstance(segments, list) or not all(
        isinstance(s, list) and len(s) == 2 for s in segments
    ):
        problems.append("circle segments must be a list of [P, Q] pairs of point names")
    else:
        for p, q in segments:
            for name in (p, q):
                if str(name) not in names:
                    problems.append(f"circle segment names unknown point {name!r}")
    labels = spec.get("labels", {})
    if not isinstance(labels, dict):
        problems.append("circle labels must map segments (PQ) to text")
    elif isinstance(segments, list):
        seg_names = {str(p) + str(q) for p, q in segments} | {str(q) + str(p) for p, q in segments}
        for key, text in labels.items():
            if str(key) not in seg_names:
                problems.append(f"circle label {key!r} is not a segment")
            if not _is_text(text):
                problems.append(f"circle label {key!r} must be text")
    for name in ("axes", "not_to_scale"):
        if name in spec and not isinstance(spec[name], bool):
            problems.append(f"circle {name} must be true or false")
    return problems


_CHECKS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "table": _check_table,
    "bar": _check_bar,
    "scatter": _check_scatter,
    "function": _check_function,
    "triangle": _check_triangle,
    "circle": _check_circle,
}


# -- rendering --------------------------------------------------------------------


def render_figure(spec: dict[str, Any]) -> bytes:
    """Render a valid spec to PNG bytes (720 px wide); FigureError if it is not valid."""
    problems = validate_figure(spec)
    if problems:
        raise FigureError("; ".join(problems))
    from matplotlib.figure import Figure  # heavy: only when a figure is drawn

    kind = spec["kind"]
    height = _height_px(spec)
    fig = Figure(figsize=(WIDTH_PX / DPI, height / DPI), dpi=DPI)
    ax = fig.add_subplot()
    if spec.get("title"):  # before drawing, so that tight_layout leaves room for it
        ax.set_title(spec["title"], fontsize=_FONT + 2)
    _DRAW[kind](fig, ax, spec)
    if spec.get("caption") or spec.get("not_to_scale"):
        text = spec.get("caption") or "Note: Figure not drawn to scale."
        fig.text(0.5, 0.015, text, ha="center", va="bottom", fontsize=_FONT - 2, style="italic")
    buffer = io.BytesIO()
    # No "Software" chunk: the bytes then depend only on the spec. zlib level 1:
    # a tenth of the render's CPU saved for PNGs about a fifth larger (flat
    # colours compress well either way), and a figure is drawn on the hot path.
    fig.savefig(
        buffer,
        format="png",
        dpi=DPI,
        metadata={"Software": None},
        pil_kwargs={"compress_level": 1},
    )
    return buffer.getvalue()


def _height_px(spec: dict[str, Any]) -> int:
    kind = spec["kind"]
    if kind == "table":
        rows = len(spec["rows"]) + 1 + (1 if spec.get("title") else 0)
        return int(min(max(rows * 44 + 40, 160), 1000))
    if kind in ("triangle", "circle"):
        return 600
    return 480


def _draw_table(fig: Any, ax: Any, spec: dict[str, Any]) -> None:
    ax.axis("off")
    cells = [[_cell(v) for v in row] for row in spec["rows"]]
    table = ax.table(
        cellText=cells,
        colLabels=[_cell(c) for c in spec["columns"]],
        loc="center",
        cellLoc="center",
    )
    table.auto_set_font_size(False)
    table.set_fontsize(_FONT)
    table.scale(1, 1.9)
    for (row, _col), cell in table.get_celld().items():
        if row == 0:
            cell.set_text_props(weight="bold")
            cell.set_facecolor("#e8eef7")
    fig.subplots_adjust(left=0.03, right=0.97, top=0.9 if spec.get("title") else 0.97, bottom=0.03)


def _cell(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float):
        return str(value).replace("-", "\u2212")  # a true minus sign, as on the axes
    return str(value)


def _style_axes(ax: Any, spec: dict[str, Any]) -> None:
    ax.grid(True, color="#cccccc", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=_FONT - 1)
    if spec.get("xlabel"):
        ax.set_xlabel(spec["xlabel"], fontsize=_FONT)
    if spec.get("ylabel"):
        ax.set_ylabel(spec["ylabel"], fontsize=_FONT)


def _draw_bar(fig: Any, ax: Any, spec: dict[str, Any]) -> None:
    labels = [_cell(v) for v in spec["labels"]]
    if spec.get("horizontal"):
        ax.barh(labels, spec["values"], color="#4878a8")
        ax.invert_yaxis()
    else:
        ax.bar(labels, spec["values"], color="#4878a8")
    _style_axes(ax, spec)
    ax.grid(axis="y" if not spec.get("horizontal") else "x", color="#cccccc")
    ax.grid(axis="x" if not spec.get("horizontal") else "y", visible=False)
    fig.tight_layout()


def _draw_scatter(fig: Any, ax: Any, spec: dict[str, Any]) -> None:
    xs, ys = zip(*spec["points"], strict=True)
    ax.scatter(xs, ys, s=36, color="#1f4e79", zorder=3)
    if "line" in spec:
        lo, hi = spec.get("xlim", (min(xs), max(xs)))
        grid = np.linspace(lo, hi, 2)
        ax.plot(grid, spec["line"]["slope"] * grid + spec["line"]["intercept"], color="#c0392b")
    if "xlim" in spec:
        ax.set_xlim(*spec["xlim"])
    if "ylim" in spec:
        ax.set_ylim(*spec["ylim"])
    _style_axes(ax, spec)
    fig.tight_layout()


def _draw_function(fig: Any, ax: Any, spec: dict[str, Any]) -> None:
    exprs = spec["expr"] if isinstance(spec["expr"], list) else [spec["expr"]]
    labels = spec.get("labels", [])
    xs = np.linspace(spec["xmin"], spec["xmax"], 801)
    all_ys = []
    for text in exprs:
        all_ys.append(evaluate(compile_expression(text), xs))
    finite = np.concatenate([ys[np.isfinite(ys)] for ys in all_ys])
    if "ymin" in spec:
        ylo, yhi = spec["ymin"], spec["ymax"]
    elif finite.size:
        ylo, yhi = np.percentile(finite, [2, 98])
        if yhi - ylo < 1e-9:
            ylo, yhi = ylo - 1, yhi + 1
        pad = (yhi - ylo) * 0.1
        ylo, yhi = ylo - pad, yhi + pad
    else:
        ylo, yhi = -10.0, 10.0
    for i, ys in enumerate(all_ys):
        # Break the line at asymptotes rather than joining +∞ to −∞.
        jumps = np.abs(np.diff(ys)) > (yhi - ylo)
        ys = ys.copy()
        ys[1:][jumps] = np.nan
        label = str(labels[i]) if i < len(labels) else None
        ax.plot(xs, ys, linewidth=2.2, label=label)
    for x, y in spec.get("points", []):
        ax.plot([x], [y], "o", color="black", markersize=6, zorder=4)
    ax.set_xlim(spec["xmin"], spec["xmax"])
    ax.set_ylim(ylo, yhi)
    ax.axhline(0, color="black", linewidth=1)
    ax.axvline(0, color="black", linewidth=1)
    _style_axes(ax, spec)
    if labels:
        ax.legend(fontsize=_FONT - 1)
    fig.tight_layout()


def _draw_triangle(fig: Any, ax: Any, spec: dict[str, Any]) -> None:
    vertices = {str(k): np.array(v, dtype=float) for k, v in spec["vertices"].items()}
    names = list(vertices)
    pts = np.array([vertices[n] for n in names])
    centroid = pts.mean(axis=0)
    size = float(np.ptp(pts, axis=0).max())
    ax.fill(pts[:, 0], pts[:, 1], facecolor="#eef3fa", edgecolor="black", linewidth=2)
    for name, p in vertices.items():
        out = _away(p, centroid) * size * 0.07
        ax.text(*(p + out), name, fontsize=_FONT + 2, ha="center", va="center", weight="bold")
    for side, text in spec.get("labels", {}).items():
        p, q = _side(str(side), names)  # type: ignore[misc]
        mid = (vertices[p] + vertices[q]) / 2
        out = _away(mid, centroid) * size * 0.06
        ax.text(*(mid + out), str(text), fontsize=_FONT, ha="center", va="center")
    for name, text in spec.get("angles", {}).items():
        p = vertices[str(name)]
        inward = (centroid - p) / np.linalg.norm(centroid - p)
        ax.text(
            *(p + inward * size * 0.14), str(text), fontsize=_FONT - 1, ha="center", va="center"
        )
    if "right_angle" in spec:
        _right_angle_mark(ax, vertices, str(spec["right_angle"]), size * 0.06)
    _geometry_axes(ax, pts, size)
    fig.subplots_adjust(left=0.02, right=0.98, top=0.92, bottom=0.06)


def _away(p: np.ndarray, centre: np.ndarray) -> np.ndarray:
    d = p - centre
    n = np.linalg.norm(d)
    return d / n if n > 1e-12 else np.array([0.0, 1.0])


def _right_angle_mark(ax: Any, vertices: dict[str, np.ndarray], at: str, size: float) -> None:
    p = vertices[at]
    u, v = (vertices[n] - p for n in vertices if n != at)
    u, v = u / np.linalg.norm(u) * size, v / np.linalg.norm(v) * size
    corner = np.array([p + u, p + u + v, p + v])
    ax.plot(corner[:, 0], corner[:, 1], color="black", linewidth=1.4)


def _geometry_axes(ax: Any, pts: np.ndarray, size: float) -> None:
    ax.set_aspect("equal")
    lo, hi = pts.min(axis=0) - size * 0.15, pts.max(axis=0) + size * 0.15
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.axis("off")


def _draw_circle(fig: Any, ax: Any, spec: dict[str, Any]) -> None:
    from matplotlib.patches import Circle

    centre = np.array(spec["center"], dtype=float)
    r = float(spec["radius"])
    centre_label = str(spec.get("center_label", "O"))
    points = {str(k): np.array(v, dtype=float) for k, v in spec.get("points", {}).items()}
    named = {centre_label: centre, **points}
    ax.add_patch(Circle(tuple(centre), r, fill=False, linewidth=2, edgecolor="black"))
    ax.plot(*centre, "o", color="black", markersize=4)
    for name, p in named.items():
        out = _away(p, centre) * r * 0.1 if name != centre_label else np.array([0.0, -r * 0.08])
        ax.text(*(p + out), name, fontsize=_FONT + 1, ha="center", va="center", weight="bold")
        if name != centre_label:
            ax.plot(*p, "o", color="black", markersize=4)
    labels = {str(k): v for k, v in spec.get("labels", {}).items()}
    for p, q in spec.get("segments", []):
        a, b = named[str(p)], named[str(q)]
        ax.plot([a[0], b[0]], [a[1], b[1]], color="black", linewidth=1.6)
        text = labels.get(f"{p}{q}", labels.get(f"{q}{p}"))
        if text is not None:
            mid = (a + b) / 2
            d = b - a
            normal = np.array([-d[1], d[0]]) / (np.linalg.norm(d) or 1.0)
            ax.text(*(mid + normal * r * 0.07), str(text), fontsize=_FONT, ha="center", va="center")
    box = np.array([centre - r, centre + r, *points.values()])
    if spec.get("axes"):
        ax.set_aspect("equal")
        lo, hi = box.min(axis=0) - r * 0.2, box.max(axis=0) + r * 0.2
        ax.set_xlim(min(lo[0], -r * 0.2), max(hi[0], r * 0.2))
        ax.set_ylim(min(lo[1], -r * 0.2), max(hi[1], r * 0.2))
        ax.axhline(0, color="black", linewidth=1)
        ax.axvline(0, color="black", linewidth=1)
        ax.grid(True, color="#dddddd")
        ax.tick_params(labelsize=_FONT - 2)
        fig.tight_layout()
    else:
        _geometry_axes(ax, box, 2 * r)
        fig.subplots_adjust(left=0.02, right=0.98, top=0.92, bottom=0.06)


_DRAW: dict[str, Callable[[Any, Any, dict[str, Any]], None]] = {
    "table": _draw_table,
    "bar": _draw_bar,
    "scatter": _draw_scatter,
    "function": _draw_function,
    "triangle": _draw_triangle,
    "circle": _draw_circle,
}
