"""`corridor serve`: the what-if dashboard (the `web` extra, imported only when started)."""

from __future__ import annotations

from typing import Annotated

import typer

from corridor.cli.errors import fail, handle_errors

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(app: typer.Typer) -> None:
    """Add the serve command to the app."""

    @app.command()
    @handle_errors
    def serve(
        scenario: Annotated[str | None, typer.Argument(
            help="A scenario folder or a built-in name (default: caravan-2020).")] = None,
        host: Annotated[str, typer.Option(help="Address to listen on. Anything but 127.0.0.1 "
                                          "lets other machines reach the dashboard.")]
        = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8050,
        open_browser: Annotated[bool, typer.Option("--open", help="Open it in a browser.")]
        = False,
    ) -> None:
        """Start the what-if dashboard in the browser (offline; needs the web extra)."""
        try:
            from corridor.web import app as web_app
        except ImportError as err:
            fail(f"the dashboard needs the web extra ({err}); pip install 'corridor[web]'")
            return
        if not 0 < port < 65536:
            fail(f"--port {port} is not a port number (1–65535)")
        if host not in LOOPBACK:
            typer.secho(
                f"WARNING: listening on {host}: anyone who can reach this machine on port "
                f"{port} can use the dashboard and run simulations on it. There is no login.",
                err=True, fg="red", bold=True)
        web_app.serve(scenario, host=host, port=port, open_browser=open_browser)
