"""The code `pulumi import` generates for an existing registry, its settings and password."""

import pulumi_cloudraya as cloudraya

legacy = cloudraya.Registry("legacy", name="legacy-registry", storage_gb=20)
legacy_settings = cloudraya.RegistrySettings(
    "legacy-settings", registry="legacy-registry", tag_immutability=True, scan_on_push=True
)
legacy_password = cloudraya.RegistryPassword("legacy-password", registry="legacy-registry")
