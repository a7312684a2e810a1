"""The auditor console and the citizen's "who read my data" page (see docs/web.md)."""

from services.audit.web.routes import mount_web

__all__ = ["mount_web"]
