"""A family's copy of everything Hearth holds about it (GDPR articles 15 and 20).

``contents`` gathers the facts as plain values, ``archive`` writes them into the zip
(pure), and ``requests`` asks for a copy, builds it (the dispatcher, once), lets its
family download it by its link and drops it when its time is up.
"""

from scheduler.services.data_export.archive import FILES, Contents, zip_bytes
from scheduler.services.data_export.contents import gather
from scheduler.services.data_export.requests import (
    Download,
    Shown,
    build,
    download,
    expire_due,
    latest,
    request_export,
    token,
)

__all__ = [
    "FILES",
    "Contents",
    "Download",
    "Shown",
    "build",
    "download",
    "expire_due",
    "gather",
    "latest",
    "request_export",
    "token",
    "zip_bytes",
]
