"""A time-series chart as inline SVG, drawn on the server: the console works without internet."""

from datetime import datetime

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

SERIES = (("received", "#0b5ed7"), ("delivered", "#1e7e34"), ("failed", "#b02a37"))
WIDTH, HEIGHT, PAD = 720, 200, 32


def chart_svg(points: list[tuple[datetime, int, int, int]]) -> SafeString:
    """Lines for received, delivered and failed per step, with the peak and the first and last time."""
    if not points:
        return format_html("<p>{}</p>", "No data in this window.")
    peak = max(max(values) for _, *values in points) or 1
    step_x = (WIDTH - 2 * PAD) / max(len(points) - 1, 1)

    def y(value: int) -> float:
        return round(HEIGHT - PAD - value * (HEIGHT - 2 * PAD) / peak, 1)

    lines = []
    for index, (name, colour) in enumerate(SERIES):
        coordinates = " ".join(
            f"{round(PAD + i * step_x, 1)},{y(p[index + 1])}" for i, p in enumerate(points)
        )
        lines.append((colour, coordinates, name))
    polylines = format_html_join(
        "",
        '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"><title>{}</title></polyline>',
        lines,
    )
    legend = format_html_join(
        "",
        '<text x="{}" y="14" fill="{}" font-size="12">{}</text>',
        ((PAD + 90 * i, colour, name) for i, (name, colour) in enumerate(SERIES)),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-label="received, delivered and failed over time">'
        '<line x1="{p}" y1="{base}" x2="{right}" y2="{base}" stroke="#999"/>'
        '<text x="2" y="{top}" font-size="11" fill="#666">{peak}</text>'
        '<text x="{p}" y="{h}" font-size="11" fill="#666">{first}</text>'
        '<text x="{right}" y="{h}" font-size="11" fill="#666" text-anchor="end">{last}</text>'
        "{legend}{polylines}</svg>",
        w=WIDTH,
        h=HEIGHT,
        p=PAD,
        base=HEIGHT - PAD,
        right=WIDTH - PAD,
        top=PAD + 4,
        peak=peak,
        first=f"{points[0][0]:%d %b %H:%M}",
        last=f"{points[-1][0]:%d %b %H:%M}",
        legend=legend,
        polylines=polylines,
    )
