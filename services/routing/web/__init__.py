"""The agency workbench: routing's pages for officers (see docs/web.md)."""

from services.routing.web.routes import mount_web

__all__ = ["mount_web"]
