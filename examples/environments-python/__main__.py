"""One private registry per environment; the stack (dev, staging, prod) picks the settings.

Per-environment values live in Pulumi.<stack>.yaml. The service endpoint and API token come from
`cloudraya:endpoint` / `cloudraya:apiToken` (or CLOUDRAYA_ENDPOINT / CLOUDRAYA_API_TOKEN).
"""

import pulumi
import pulumi_cloudraya as cloudraya

config = pulumi.Config()

registry = cloudraya.Registry(
    "registry",
    name=config.require("registryName"),
    storage_gb=config.get_int("storageGb") or 10,
    force_destroy=config.get_bool("forceDestroy") or False,
)

settings = cloudraya.RegistrySettings(
    "settings",
    registry=registry.name,
    tag_immutability=config.get_bool("tagImmutability") or False,
    scan_on_push=config.get_bool("scanOnPush") is not False,
)

password = cloudraya.RegistryPassword(
    "password",
    registry=registry.name,
    keepers={"rotation": config.get("passwordRotation") or "initial"},
)

# The registry's username is its name, known once the registry exists; a registry that is
# still to be created gets its push commands at `pulumi up`, not at preview.
push = cloudraya.get_push_command_output(
    registry=registry.username, repository="my-app", tag="v1.0.0"
)

pulumi.export("registryName", registry.name)
pulumi.export("endpoint", registry.endpoint)
pulumi.export("username", password.username)
pulumi.export("password", password.password)
pulumi.export("dockerConfigJson", password.docker_config_json)
pulumi.export("tagImmutability", settings.tag_immutability)
pulumi.export("image", push.image)
pulumi.export("pushCommands", push.commands)
