"""Progress lines for long steps: which step runs and how long it has been running."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Iterator

from rich.console import Console
from rich.markup import escape

console = Console(stderr=True, highlight=False)


@contextmanager
def step(title: str) -> Iterator[None]:
    """Show the step with a live elapsed-time spinner, then a ✓/✗ line with its duration."""
    start = time.monotonic()
    title = escape(title)  # package specs like ckan[requirements] are not markup
    done = threading.Event()
    try:
        with console.status(f"[bold]{title}[/] …", spinner="dots") as status:
            def tick() -> None:
                while not done.wait(1.0):
                    status.update(f"[bold]{title}[/] … {time.monotonic() - start:.0f}s")

            ticker = threading.Thread(target=tick, daemon=True)
            ticker.start()
            try:
                yield
            finally:
                done.set()
                ticker.join()
    except BaseException:
        console.print(f"[red]✗[/] {title} [dim]({time.monotonic() - start:.1f}s)[/]")
        raise
    console.print(f"[green]✓[/] {title} [dim]({time.monotonic() - start:.1f}s)[/]")


def note(message: str) -> None:
    console.print(f"  [dim]{escape(message)}[/]")
