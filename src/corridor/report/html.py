"""The report page: one self-contained HTML file, built from sections.

Inline CSS, plotly.js embedded once, no link or source outside the file; every piece of text from
a run folder is escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import plotly.graph_objects as go

from corridor.report.style import FONT_STACK

PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "showSendToCloud": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

CSS = """
:root { --ink: #1f2328; --muted: #5b6470; --rule: #d8dce0; --accent: #8c2d19; }
* { box-sizing: border-box; }
body { font-family: FONTS; color: var(--ink); margin: 0; background: #fafaf8; line-height: 1.5; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 28px 60px; background: #fff;
       box-shadow: 0 0 0 1px var(--rule); }
h1 { font-size: 1.7rem; margin: 0 0 2px; }
h2 { font-size: 1.3rem; margin: 40px 0 8px; padding-top: 8px; border-top: 2px solid var(--rule); }
h3 { font-size: 1.05rem; margin: 22px 0 6px; }
.sub { color: var(--muted); margin: 0 0 16px; font-size: .92rem; }
.summary { font-size: 1.08rem; background: #f4f1ea; border-left: 4px solid var(--accent);
           padding: 12px 16px; margin: 12px 0; }
nav.toc { font-size: .95rem; margin: 14px 0 0; }
nav.toc ol { margin: 4px 0; padding-left: 22px; columns: 2; }
figure { margin: 10px 0 4px; }
figcaption { color: var(--muted); font-size: .88rem; margin-top: 4px; max-width: 980px; }
.note { color: var(--muted); font-style: italic; }
table { border-collapse: collapse; font-size: .88rem; margin: 8px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--rule); text-align: left;
         vertical-align: top; }
th { background: #f1f3f5; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; border-top: 2px solid var(--ink); }
.scroll { overflow-x: auto; }
td.yes { color: #1a7f37; font-weight: 600; } td.no { color: #b42318; font-weight: 600; }
details { margin: 4px 0 10px; font-size: .88rem; } summary { cursor: pointer; color: var(--muted); }
code { font-size: .85em; background: #f1f3f5; padding: 0 3px; border-radius: 3px; }
.switcher input.switch { position: absolute; opacity: 0; }
.switcher label.switch { display: inline-block; padding: 3px 12px; margin: 0 4px 6px 0;
  border: 1px solid var(--rule); border-radius: 4px; cursor: pointer; font-size: .9rem; }
.switcher input.switch:checked + label.switch, .switcher label.switch:hover { background: #f1f3f5; }
.switcher .pane { display: none; }
footer { margin-top: 40px; color: var(--muted); font-size: .82rem; }
""".replace("FONTS", FONT_STACK)


def esc(text: object) -> str:
    """Escape text for HTML."""
    return html.escape(str(text), quote=True)


@dataclass
class Section:
    """One section of the page (numbered in the table of contents)."""

    anchor: str
    title: str
    parts: list[str] = field(default_factory=list)

    def text(self, paragraph: str, cls: str = "") -> None:
        """Add a paragraph of plain text (escaped)."""
        attr = f' class="{cls}"' if cls else ""
        self.parts.append(f"<p{attr}>{esc(paragraph)}</p>")

    def details(self, summary: str, lines: list[str]) -> None:
        """Add a folded list (opened by a click, no script needed)."""
        items = "".join(f"<li>{esc(line)}</li>" for line in lines)
        self.parts.append(f"<details><summary>{esc(summary)}</summary><ul>{items}</ul></details>")

    def note(self, note: object) -> None:
        """Add a `SectionNote`: its sentence, and its problems folded underneath."""
        self.text(getattr(note, "text", str(note)), "note")
        problems = list(getattr(note, "problems", ()))
        if problems:
            self.details(f"The {len(problems)} problems", problems)

    def heading(self, text: str) -> None:
        """Add a sub-heading."""
        self.parts.append(f"<h3>{esc(text)}</h3>")

    def raw(self, fragment: str) -> None:
        """Add an HTML fragment built by this package (never user text)."""
        self.parts.append(fragment)

    def figure(self, fig: go.Figure, caption: str, png: str | None = None) -> None:
        """Add an interactive plotly figure with its caption (and the name of its PNG)."""
        div = fig.to_html(full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG)
        note = f" A still image of this figure is in <code>{esc(png)}</code>." if png else ""
        self.parts.append(f"<figure>{div}<figcaption>{esc(caption)}{note}</figcaption></figure>")

    def svg(self, svg: str, caption: str, png: str | None = None) -> None:
        """Add an inline SVG drawing (made by this package from matplotlib) with its caption."""
        note = f" A still image of this figure is in <code>{esc(png)}</code>." if png else ""
        self.parts.append(
            f'<figure class="svg">{svg}<figcaption>{esc(caption)}{note}</figcaption></figure>'
        )

    def table(
        self,
        head: list[str],
        body: list[list[str]],
        numeric_from: int = 1,
        total_last: bool = False,
    ) -> None:
        """Add a table of plain-text cells; columns from `numeric_from` are right-aligned."""

        def cell(tag: str, i: int, value: str) -> str:
            classes = []
            if i >= numeric_from:
                classes.append("num")
            if tag == "td" and value in ("yes", "no"):
                classes.append(value)
            attr = f' class="{" ".join(classes)}"' if classes else ""
            return f"<{tag}{attr}>{esc(value)}</{tag}>"

        rows = ["<tr>" + "".join(cell("th", i, h) for i, h in enumerate(head)) + "</tr>"]
        for j, row in enumerate(body):
            attr = ' class="total"' if total_last and j == len(body) - 1 else ""
            rows.append(
                f"<tr{attr}>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>"
            )
        self.parts.append('<div class="scroll"><table>' + "".join(rows) + "</table></div>")


def page(
    title: str, subtitle: str, summary: list[str], sections: list[Section], footer: str
) -> str:
    """Return the whole HTML document."""
    from plotly.offline import get_plotlyjs

    toc = "".join(f'<li><a href="#{s.anchor}">{esc(s.title)}</a></li>' for s in sections)
    body = "".join(
        f'<section id="{s.anchor}"><h2>{i}. {esc(s.title)}</h2>{"".join(s.parts)}</section>'
        for i, s in enumerate(sections, start=1)
    )
    paragraphs = "".join(f'<p class="summary">{esc(p)}</p>' for p in summary)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head>'
        f'<body><main><header><h1>{esc(title)}</h1><p class="sub">{esc(subtitle)}</p>'
        f'{paragraphs}<nav class="toc"><strong>Contents</strong><ol>{toc}</ol></nav></header>'
        f"{body}<footer>{esc(footer)}</footer></main></body></html>\n"
    )
