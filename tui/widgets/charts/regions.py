"""Decision regions of a 2-D run: the predicted class over a grid as coloured cells,
with the test points on top as letters of their true class."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from tui.usertext import one_line

#: Region backgrounds and point glyphs; all exist in the 16-colour palette.
REGION_COLORS = ("blue", "red", "green", "yellow", "magenta", "cyan", "white", "bright_black")
POINT_GLYPHS = "ox+*#@%&"


class RegionsView(Widget):
    """Draws a ``core.regions.Regions`` object scaled to the widget's size."""

    DEFAULT_CSS = """
    RegionsView { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.regions: Any = None
        self.note = "decision regions: select a finished run on a 2-D dataset"
        self.run_id: int | None = None

    def show(self, run_id: int | None, regions: Any, note: str = "") -> None:
        if (run_id, note) == (self.run_id, self.note) and regions is self.regions:
            return  # the live charts ask 10 times a second: repaint only on a change
        self.run_id, self.regions, self.note = run_id, regions, note
        self.refresh()

    def render(self) -> RenderResult:
        regions = self.regions
        width, height = self.size
        if regions is None or width < 4 or height < 3:
            return Text(self.note, style="dim")
        return render_regions(regions, width, height - 1)


def render_regions(regions: Any, width: int, height: int) -> Text:
    xs, ys, labels = list(regions.x), list(regions.y), regions.labels
    if not xs or not ys or not labels:
        return Text("no regions", style="dim")
    n_x, n_y = len(xs), len(ys)
    # Cell (col, row) -> grid index; row 0 is the top (largest y).
    grid: list[list[int]] = []
    for row in range(height):
        j = n_y - 1 - min(n_y - 1, int(row * n_y / height))
        line = labels[j]
        grid.append([int(line[min(n_x - 1, int(col * n_x / width))]) for col in range(width)])
    points: dict[tuple[int, int], int] = {}
    x0, x1, y0, y1 = xs[0], xs[-1], ys[0], ys[-1]
    for px, py, label in zip(regions.points_x, regions.points_y, regions.points_label):
        if x1 == x0 or y1 == y0:
            break
        col = round((px - x0) / (x1 - x0) * (width - 1))
        row = round((y1 - py) / (y1 - y0) * (height - 1))
        if 0 <= col < width and 0 <= row < height:
            points[(col, row)] = int(label)
    text = Text()
    for row, cells in enumerate(grid):
        for col, cls in enumerate(cells):
            background = REGION_COLORS[cls % len(REGION_COLORS)]
            true_class = points.get((col, row))
            if true_class is None:
                text.append(" ", Style(bgcolor=background))
            else:
                glyph = POINT_GLYPHS[true_class % len(POINT_GLYPHS)]
                wrong = true_class != cls
                text.append(
                    glyph,
                    Style(
                        bgcolor=background,
                        color="bright_white" if not wrong else "black",
                        bold=True,
                        reverse=False,
                    ),
                )
        text.append("\n")
    classes = list(regions.classes)
    legend = "  ".join(
        f"{POINT_GLYPHS[i % len(POINT_GLYPHS)]}={one_line(name, 40)}"
        for i, name in enumerate(classes)
    )
    text.append(f"test points {legend} · black = wrong", style="dim")
    return text
