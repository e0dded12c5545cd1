"""Putting the admin pages' shared parts on the app: static files, security headers, error pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from storeguard.web.errors import Pages
from storeguard.web.security import PageHeaders

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Front-end libraries come from npm at set-up (package.json, pinned by package-lock.json).
NODE_MODULES = Path(__file__).resolve().parents[3] / "node_modules"
VENDOR = {"htmx": NODE_MODULES / "htmx.org" / "dist"}


def install_web(app: FastAPI) -> Pages:
    """Serve the pages' files, add their headers, and return how they answer refusals."""
    app.mount("/static/ui", StaticFiles(directory=STATIC_DIR), name="static-ui")
    for name, directory in VENDOR.items():
        app.mount(
            f"/static/vendor/{name}", StaticFiles(directory=directory, check_dir=False), name=f"vendor-{name}"
        )
    app.add_middleware(PageHeaders)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """Answer the browsers that ask for the icon by its old name."""
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")

    return Pages()
