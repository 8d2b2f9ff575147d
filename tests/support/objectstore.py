"""One SeaweedFS S3 server per test session, and the settings a service or driver needs for it.

Tests that share the server keep apart by prefix (``s3://BUCKET/<unique prefix>``).
"""

from __future__ import annotations

import secrets

from tests.support.seaweedfs import SeaweedS3


def s3_environ(weed: SeaweedS3) -> dict[str, str]:
    """The standard AWS variables that point a service or a driver at ``weed``."""
    return {
        "AWS_ACCESS_KEY_ID": weed.access_key,
        "AWS_SECRET_ACCESS_KEY": weed.secret_key,
        "AWS_ENDPOINT_URL": weed.endpoint,
        "AWS_REGION": "us-east-1",
    }


def fresh_s3_url(weed: SeaweedS3) -> str:
    """A storage URL of an empty corner of the bucket."""
    return f"s3://{weed.bucket}/t-{secrets.token_hex(6)}"
