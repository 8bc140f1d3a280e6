"""Charts for the reports page, drawn on the server as SVG.

No JavaScript and no library: the dashboard's Content-Security-Policy allows neither inline
scripts nor inline styles, and a chart is a handful of rectangles and lines. Each chart is one
image (role="img") with a title and a description; the table beside it holds the exact
figures for screen readers and for copying. Every text is escaped. Colours keep at least 3:1
contrast against white (WCAG 1.4.11), stacked parts are parted by a white gap, and line
series differ by dash pattern too, so nothing depends on telling colours apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import ceil, floor, log10

from markupsafe import Markup, escape

BLUE, ORANGE, GREEN, PURPLE = "#1f5fa8", "#b34700", "#2e7d32", "#6a3d9a"
OLIVE, RED, TEAL, GREY = "#8a6d00", "#a4161a", "#00695c", "#5c6470"
PALETTE = (BLUE, ORANGE, GREEN, PURPLE, OLIVE, RED, TEAL, GREY)
DASHES = ("", "7 4", "2 3", "10 3 2 3")
INK, MUTED, GRID = "#1b1f24", "#4a5360", "#d5d9df"

WIDTH = 640
PLOT_HEIGHT = 200
LEFT, RIGHT, TOP = 48, 30, 12  # RIGHT: room for half the last period's name
FONT = 12
MAX_X_LABELS = 8
LABEL_COLUMN = 180  # horizontal bars: room for a name
ROW = 26

Format = Callable[[float], str]


@dataclass(frozen=True, slots=True)
class Series:
    """One named row of values, one per category (None: nothing to draw there)."""

    name: str
    values: tuple[float | None, ...]
    colour: str = ""  # "" takes the palette's next colour


def plain(value: float) -> str:
    """Numbers as the axis shows them; the view passes a locale's format for the rest."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


# ---- charts -----------------------------------------------------------------------------------


def stacked_columns(chart_id: str, title: str, description: str, categories: Sequence[str],
                    series: Sequence[Series], unit: str = "", number: Format = plain
                    ) -> Markup:
    """A column per category, its series stacked: parts of a whole (outcomes per quarter)."""
    colours = _colours(series)
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(categories))]
    top, ticks = _scale(max(totals, default=0))
    parts = _frame(ticks, top, unit)
    slot = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    for i, category in enumerate(categories):
        base = 0.0
        for s, colour in zip(series, colours, strict=True):
            value = s.values[i] or 0
            if value <= 0:
                continue
            y, height = _y(base + value, top), (value / top) * PLOT_HEIGHT
            parts.append(_rect(LEFT + slot * (i + 0.15), y, slot * 0.7, height, colour,
                               f"{category} – {s.name}: {number(value)}{unit}"))
            base += value
    parts += _x_labels(categories, slot)
    legend, legend_height = _legend([(s.name, c, None) for s, c in zip(series, colours,
                                                                       strict=True)],
                                    TOP + PLOT_HEIGHT + 30)
    return _svg(chart_id, title, description, TOP + PLOT_HEIGHT + 30 + legend_height,
                parts + legend)


def line_chart(chart_id: str, title: str, description: str, categories: Sequence[str],
               series: Sequence[Series], unit: str = "", number: Format = plain) -> Markup:
    """A line per series over the categories (time): trends such as reply times."""
    colours = _colours(series)
    values = [v for s in series for v in s.values if v is not None]
    top, ticks = _scale(max(values, default=0))
    parts = _frame(ticks, top, unit)
    slot = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    for n, (s, colour) in enumerate(zip(series, colours, strict=True)):
        dash = DASHES[n % len(DASHES)]
        points = [(LEFT + slot * (i + 0.5), _y(v, top), categories[i], v)
                  for i, v in enumerate(s.values) if v is not None]
        for run in _runs(points, slot):
            if len(run) > 1:
                path = " ".join(f"{_n(x)},{_n(y)}" for x, y, _, _ in run)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                             f'stroke-width="2.5"{_dash(dash)}/>')
        for x, y, category, value in points:
            parts.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{colour}">'
                         f'<title>{escape(category)} – {escape(s.name)}: '
                         f'{escape(number(value))}{escape(unit)}</title></circle>')
    parts += _x_labels(categories, slot)
    legend, legend_height = _legend([(s.name, c, DASHES[n % len(DASHES)])
                                     for n, (s, c) in enumerate(zip(series, colours,
                                                                    strict=True))],
                                    TOP + PLOT_HEIGHT + 30)
    return _svg(chart_id, title, description, TOP + PLOT_HEIGHT + 30 + legend_height,
                parts + legend)


def horizontal_bars(chart_id: str, title: str, description: str, labels: Sequence[str],
                    series: Sequence[Series], unit: str = "", maximum: float | None = None,
                    number: Format = plain) -> Markup:
    """A bar per label (long names fit), series stacked: caseload per counselor, shares."""
    colours = _colours(series)
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    top, ticks = _scale(maximum if maximum is not None else max(totals, default=0))
    width = WIDTH - LABEL_COLUMN - RIGHT - 40  # room for the total after the bar
    height = ROW * max(len(labels), 1)
    parts = []
    for tick in ticks:
        x = LABEL_COLUMN + width * tick / top
        parts.append(f'<line x1="{_n(x)}" y1="{TOP}" x2="{_n(x)}" y2="{TOP + height}" '
                     f'stroke="{GRID}"/>')
        parts.append(_text(x, TOP + height + 16, f"{plain(tick)}{unit}", "middle", MUTED))
    for i, label in enumerate(labels):
        y = TOP + ROW * i
        parts.append(f'<text x="{LABEL_COLUMN - 8}" y="{_n(y + ROW / 2 + 4)}" '
                     f'text-anchor="end" font-size="{FONT}" fill="{INK}">'
                     f'<title>{escape(label)}</title>{escape(_short(label))}</text>')
        left = 0.0
        for s, colour in zip(series, colours, strict=True):
            value = s.values[i] or 0
            if value <= 0:
                continue
            parts.append(_rect(LABEL_COLUMN + width * left / top, y + 5, width * value / top,
                               ROW - 10, colour, f"{label} – {s.name}: {number(value)}{unit}"))
            left += value
        parts.append(_text(LABEL_COLUMN + width * left / top + 4, y + ROW / 2 + 4,
                           f"{number(totals[i])}{unit}", "start", INK))
    legend, legend_height = ([], 0) if len(series) < 2 else _legend(
        [(s.name, c, None) for s, c in zip(series, colours, strict=True)], TOP + height + 26)
    return _svg(chart_id, title, description, TOP + height + 26 + legend_height,
                parts + legend)


# ---- pieces -----------------------------------------------------------------------------------


def _svg(chart_id: str, title: str, description: str, height: float, parts: list[str]
         ) -> Markup:
    ident = escape(chart_id)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {_n(height)}" width="{WIDTH}" '
        f'height="{_n(height)}" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>'
        + "".join(parts) + "</svg>")


def _frame(ticks: Sequence[float], top: float, unit: str) -> list[str]:
    """Horizontal grid lines with their values, and the base line."""
    parts = []
    for tick in ticks:
        y = _y(tick, top)
        parts.append(f'<line x1="{LEFT}" y1="{_n(y)}" x2="{WIDTH - RIGHT}" y2="{_n(y)}" '
                     f'stroke="{INK if tick == 0 else GRID}"/>')
        parts.append(_text(LEFT - 6, y + 4, f"{plain(tick)}{unit}", "end", MUTED))
    return parts


def _x_labels(categories: Sequence[str], slot: float) -> list[str]:
    """At most MAX_X_LABELS labels, always the last (the current period)."""
    every = max(1, ceil(len(categories) / MAX_X_LABELS))
    last = len(categories) - 1
    return [_text(LEFT + slot * (i + 1) if i == last and len(categories) > 1
                  else LEFT + slot * (i + 0.5), TOP + PLOT_HEIGHT + 18, category,
                  "end" if i == last and len(categories) > 1 else "middle", INK)
            for i, category in enumerate(categories) if (last - i) % every == 0]


def _legend(items: Sequence[tuple[str, str, str | None]], y0: float
            ) -> tuple[list[str], int]:
    """Swatches (or line samples, with their dash) and names, wrapped in rows from `y0` down."""
    parts, x, row = [], float(LEFT), 0
    for name, colour, dash in items:
        width = 30 + len(name) * 6.5  # a rough width of 12 px text: no fonts on the server
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, row = float(LEFT), row + 1
        y = y0 + row * 20
        if dash is None:
            parts.append(f'<rect x="{_n(x)}" y="{y + 2}" width="12" height="12" '
                         f'fill="{colour}"/>')
        else:
            parts.append(f'<line x1="{_n(x)}" y1="{y + 8}" x2="{_n(x + 18)}" y2="{y + 8}" '
                         f'stroke="{colour}" stroke-width="2.5"{_dash(dash)}/>')
        parts.append(_text(x + (16 if dash is None else 22), y + 12, name, "start", INK))
        x += width
    return parts, (row + 1) * 20 if items else 0


def _rect(x: float, y: float, width: float, height: float, colour: str, tip: str) -> str:
    return (f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(width, 0.5))}" '
            f'height="{_n(max(height, 0.5))}" fill="{colour}" stroke="#fff" '
            f'stroke-width="1"><title>{escape(tip)}</title></rect>')


def _text(x: float, y: float, text: str, anchor: str, colour: str) -> str:
    return (f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{FONT}" '
            f'fill="{colour}">{escape(text)}</text>')


def _runs(points: list[tuple[float, float, str, float]], slot: float
          ) -> list[list[tuple[float, float, str, float]]]:
    """Consecutive points: a line breaks where a period has no value."""
    runs: list[list[tuple[float, float, str, float]]] = []
    for point in points:
        if runs and point[0] - runs[-1][-1][0] <= slot * 1.01:
            runs[-1].append(point)
        else:
            runs.append([point])
    return runs


def _scale(maximum: float) -> tuple[float, list[float]]:
    """A round top for the axis and four or five ticks: 0, 5, 10, 15, 20."""
    maximum = max(maximum, 1.0)
    rough = maximum / 4
    magnitude = 10 ** floor(log10(rough))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough)
    if step < 1:
        step = 1.0  # counts: no half clients on the axis
    top = ceil(maximum / step - 1e-9) * step
    return top, [step * i for i in range(int(round(top / step)) + 1)]


def _y(value: float, top: float) -> float:
    return TOP + PLOT_HEIGHT - (value / top) * PLOT_HEIGHT


def _colours(series: Sequence[Series]) -> list[str]:
    return [s.colour or PALETTE[n % len(PALETTE)] for n, s in enumerate(series)]


def _dash(dash: str) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""


def _short(label: str, limit: int = 26) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"


def _n(value: float) -> str:
    """Coordinates with one decimal at most: small markup, crisp enough."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


__all__ = ["PALETTE", "Series", "horizontal_bars", "line_chart", "plain", "stacked_columns"]
