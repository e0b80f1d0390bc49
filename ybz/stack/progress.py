"""Progress lines for long steps on stderr: a spinner with the elapsed time while a step runs
(on a terminal), then a ✓/✗ line with its duration."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

console = Console(stderr=True, highlight=False)


@contextmanager
def step(title: str) -> Iterator[None]:
    """Run the body as one step: a live line while it runs, then the ✓/✗ summary line."""
    title = escape(title)  # package specs like ckan[requirements] are not markup
    start = time.monotonic()
    try:
        with _live_line(title):
            yield
    except BaseException:
        console.print(f"[red]✗[/] {title} [dim]({time.monotonic() - start:.1f}s)[/]")
        raise
    console.print(f"[green]✓[/] {title} [dim]({time.monotonic() - start:.1f}s)[/]")


def _live_line(title: str) -> AbstractContextManager[object]:
    """Spinner, title and elapsed time, redrawn in place. Not when piped (CI logs), where Rich
    would not redraw anyway but add a blank line per step: there the summary line suffices."""
    if not console.is_interactive:
        return nullcontext()
    progress = Progress(SpinnerColumn("dots"), TextColumn("[bold]{task.description}[/] …"),
                        TimeElapsedColumn(), console=console, transient=True)
    progress.add_task(title, total=None)
    return progress


def note(message: str) -> None:
    console.print(f"  [dim]{escape(message)}[/]")
