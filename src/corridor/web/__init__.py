"""`corridor serve`: a what-if dashboard in the browser, offline (Dash, the `web` extra).

The web layer sits beside `report` (it reuses the report's data preparation and plotly
figures) and above `analysis`; the command line imports it lazily. Nothing here is imported by
the core: `dash` is needed only when the dashboard is started.
"""

from __future__ import annotations

__all__ = ["create_app", "serve"]


def create_app(*args, **kwargs):  # noqa: ANN002, ANN003, ANN201 - see corridor.web.app
    """Build the Dash app; see `corridor.web.app.create_app`."""
    from corridor.web.app import create_app as _create

    return _create(*args, **kwargs)


def serve(*args, **kwargs) -> None:  # noqa: ANN002, ANN003 - see corridor.web.app
    """Start the server; see `corridor.web.app.serve`."""
    from corridor.web.app import serve as _serve

    _serve(*args, **kwargs)
