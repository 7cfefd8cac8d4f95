"""Freshness over time as an inline SVG: a sawtooth per object (it grows between runs, drops at each)."""

from __future__ import annotations

from datetime import datetime
from html import escape

from loader.ledger import statuses
from loader.ledger.records import RunRecord

Point = tuple[datetime, float]
COLORS = {"profiles": "#2563eb", "events": "#d97706", "metrics": "#059669"}
MAX_RUNS = 200
DASHES = ("none", "7 4", "2 3")  # objects often share a freshness: keep overlapping lines visible


def freshness_series(runs: list[RunRecord], now: datetime, several: bool = False) -> dict[str, list[Point]]:
    """Per object (per `account/object` when `several` accounts): (time, seconds behind) at each
    completed run's end, just before it, and now."""
    series: dict[str, list[Point]] = {}
    for unit in sorted({r.unit for r in runs}):
        label = f"{unit.account}/{unit.object}" if several else unit.object
        done = sorted(
            (r for r in runs if r.unit == unit and r.status == statuses.COMPLETED
             and r.complete_until and r.ended_at),
            key=lambda r: r.ended_at,  # type: ignore[arg-type,return-value]
        )[-MAX_RUNS:]
        points: list[Point] = []
        previous: datetime | None = None
        for run in done:
            assert run.ended_at and run.complete_until
            if previous is not None:
                points.append((run.ended_at, (run.ended_at - previous).total_seconds()))
            points.append((run.ended_at, (run.ended_at - run.complete_until).total_seconds()))
            previous = run.complete_until
        if previous is not None:
            points.append((now, (now - previous).total_seconds()))
            series[label] = points
    return series


def render_svg(series: dict[str, list[Point]], width: int = 640, height: int = 180) -> str:
    """An accessible SVG line chart (minutes behind on the y axis), or a note when there is no data."""
    points = [p for line in series.values() for p in line]
    if not points:
        return '<p class="empty" id="freshness-empty">No completed sync yet.</p>'
    left, bottom, pad = 48, 22, 8
    t0 = min(p[0] for p in points).timestamp()
    t1 = max(p[0] for p in points).timestamp()
    top_minutes = max(max(p[1] for p in points) / 60, 1.0)

    def xy(point: Point) -> str:
        x = left + (point[0].timestamp() - t0) / max(t1 - t0, 1) * (width - left - pad)
        y = pad + (1 - point[1] / 60 / top_minutes) * (height - bottom - pad)
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg id="freshness-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Data freshness over time, in minutes behind">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - pad}" y2="{height - bottom}" class="axis"/>',
        f'<line x1="{left}" y1="{pad}" x2="{left}" y2="{height - bottom}" class="axis"/>',
        f'<text x="{left - 4}" y="{pad + 10}" text-anchor="end" class="tick">{top_minutes:.0f}m</text>',
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" class="tick">0</text>',
        f'<text x="{left}" y="{height - 6}" class="tick">{min(p[0] for p in points):%m-%d %H:%M}</text>',
        f'<text x="{width - pad}" y="{height - 6}" text-anchor="end" class="tick">'
        f"{max(p[0] for p in points):%m-%d %H:%M} UTC</text>",
    ]
    for index, (obj, line) in enumerate(series.items()):
        color = COLORS.get(obj.rsplit("/", 1)[-1], "#6b7280")
        coords = " ".join(xy(p) for p in line)
        parts.append(
            f'<polyline data-object="{escape(obj)}" points="{coords}" fill="none" '
            f'stroke="{color}" stroke-width="2" stroke-dasharray="{DASHES[index % len(DASHES)]}"/>'
        )
        parts.append(
            f'<text x="{left + 8 + index * (150 if "/" in obj else 90)}" y="{pad + 12}" fill="{color}" '
            f'class="legend">{escape(obj)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
