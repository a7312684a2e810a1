"""The citizen's notification inbox and satisfaction survey (see docs/web.md)."""

from services.notify.web.routes import mount_web

__all__ = ["mount_web"]
