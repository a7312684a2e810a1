"""The citizen portal: intake's pages for citizens (see docs/web.md)."""

from services.intake.web.routes import mount_web

__all__ = ["mount_web"]
