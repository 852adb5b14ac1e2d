"""The static dashboard report: `$PLATFORM_HOME/reports/index.html` beside the charts' PNGs.

A plain file that needs no server: it can be opened from disk, mailed or served by anything.
Every file is written to a temporary name and renamed into place, so a reader (or a browser
refreshing) never sees half a PNG or half a page.
"""

import html
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from platform_assets.settings import platform_home

INDEX = "index.html"


def reports_dir() -> Path:
    path = platform_home() / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_atomic(path: Path, data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same directory and a rename."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(name, 0o644)  # mkstemp makes it private; reports are for anyone who can read
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return path


@dataclass(frozen=True)
class Section:
    """One dashboard in the report."""

    name: str
    title: str
    rows: int | None  # None: the view does not exist yet
    refreshed_at: str | None  # None: no refresh recorded
    chart: str | None  # the PNG's file name beside index.html; None: not drawn yet


def _section(section: Section) -> str:
    rows = "not created yet" if section.rows is None else f"{section.rows:,} rows"
    refreshed = section.refreshed_at or "never"
    parts = [
        f'<section id="{html.escape(section.name)}">',
        f"<h2>{html.escape(section.title)}</h2>",
        f'<p class="meta"><code>analytics.{html.escape(section.name)}</code>: '
        f"{html.escape(rows)}, refreshed {html.escape(refreshed)}</p>",
    ]
    if section.chart:
        parts.append(
            f'<img src="{html.escape(section.chart)}" alt="{html.escape(section.title)} chart">'
        )
    else:
        parts.append("<p>No chart yet: materialize the dashboard first.</p>")
    parts.append("</section>")
    return "\n".join(parts)


def render_index(sections: list[Section], generated_at: str) -> str:
    body = "\n".join(_section(section) for section in sections)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Platform dashboards</title>
<style>
body {{ font-family: sans-serif; max-width: 960px; margin: 2em auto; color: #222; }}
img {{ max-width: 100%; border: 1px solid #ddd; }}
.meta {{ color: #555; }}
</style>
</head>
<body>
<h1>Platform dashboards</h1>
<p class="meta">Generated at {html.escape(generated_at)}</p>
{body}
</body>
</html>
"""


def write_index(sections: list[Section], generated_at: str) -> Path:
    text = render_index(sections, generated_at)
    return write_atomic(reports_dir() / INDEX, text.encode())
