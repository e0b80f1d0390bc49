"""Progress lines for long steps: which step runs and how long it took."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from rich.console import Console
from rich.markup import escape

console = Console(stderr=True, highlight=False)


@contextmanager
def step(title: str) -> Iterator[None]:
    """Print the step, run it under a spinner, then print its elapsed time (or failure)."""
    start = time.monotonic()
    title = escape(title)  # package specs like ckan[requirements] are not markup
    try:
        with console.status(f"[bold]{title}[/] …", spinner="dots"):
            yield
    except BaseException:
        console.print(f"[red]✗[/] {title} [dim]({time.monotonic() - start:.1f}s)[/]")
        raise
    console.print(f"[green]✓[/] {title} [dim]({time.monotonic() - start:.1f}s)[/]")


def note(message: str) -> None:
    console.print(f"  [dim]{escape(message)}[/]")
