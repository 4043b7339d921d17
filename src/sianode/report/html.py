"""A self-contained HTML report: inline PNGs (base64), inline CSS, no scripts, no fonts."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.9em;color:#555}.note{background:#fff8e1;border-left:4px solid #f0c000;
padding:.5em 1em}.key{font-size:1.15em;font-weight:600}
.wide{max-width:100%;overflow-x:auto}td:not(.num){overflow-wrap:anywhere}
.stamp{color:#555;font-size:.9em}
"""


def esc(text: Any) -> str:
    """HTML-escape any value (text from input files included)."""
    return html.escape(str(text), quote=True)


def fmt(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):
        return esc(f"{value:.{digits}g}")
    return esc(value)


def table(headers: list[str], rows: list[list[Any]], table_id: str = "") -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{fmt(v)}</td>'
            if isinstance(v, (int, float))
            else f"<td>{esc(v)}</td>"
            for v in row
        )
        body.append(f"<tr>{cells}</tr>")
    ident = f' id="{esc(table_id)}"' if table_id else ""
    # a box that scrolls sideways, so a wide table never widens the page
    return (
        f'<div class="wide"><table{ident}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def figure(png: Path, caption: str) -> str:
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{esc(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def stamp_line(stamp: dict[str, str]) -> str:
    """The run stamp (:func:`sianode.stamp.run_stamp`) as one paragraph."""
    return (
        f'<p class="stamp" id="stamp">Made by sianode {esc(stamp["sianode_version"])} '
        f"(git commit {esc(stamp['git_commit'])}) on {esc(stamp['date_utc'])}.</p>"
    )


def page(title: str, sections: list[tuple[str, str]], stamp: dict[str, str] | None = None) -> str:
    parts = [f"<h2>{esc(h)}</h2>\n{body}" for h, body in sections]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1>"
        + (stamp_line(stamp) if stamp else "")
        + "\n".join(parts)
        + "</body></html>"
    )
