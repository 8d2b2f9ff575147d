"""The complete metadata schema: the service's models plus those other parts add to ``Base``.

Migrations and the drift test compare the database with ``Base.metadata``; every module that
declares tables on ``Base`` must be imported first, or its tables would look absent.
"""

from __future__ import annotations

from sqlalchemy import MetaData


def load_all_models() -> MetaData:
    from cloudraya_registry.db import models
    from cloudraya_registry.scanning import models as scanning_models  # noqa: F401

    return models.Base.metadata
