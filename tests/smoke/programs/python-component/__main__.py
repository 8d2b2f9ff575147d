"""A component with child components, so the stack state has a real resource tree."""

import pulumi


class Environment(pulumi.ComponentResource):
    """One deployment environment; holds no cloud resources, only outputs."""

    def __init__(self, name: str, tier: int, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("smoke:index:Environment", name, None, opts)
        self.endpoint = pulumi.Output.from_input(f"127.0.0.1:5000/{name}-registry")
        self.tier = tier
        self.register_outputs({"endpoint": self.endpoint, "tier": tier})


class Fleet(pulumi.ComponentResource):
    """Groups the environments under one parent."""

    def __init__(self, name: str, names: list[str]) -> None:
        super().__init__("smoke:index:Fleet", name)
        self.environments = [
            Environment(env, tier, pulumi.ResourceOptions(parent=self))
            for tier, env in enumerate(names)
        ]
        self.register_outputs({"count": len(names)})


config = pulumi.Config()
names = (config.get("environments") or "dev,staging,prod").split(",")
fleet = Fleet("fleet", names)

pulumi.export("endpoints", {env._name: env.endpoint for env in fleet.environments})
pulumi.export("count", len(fleet.environments))
pulumi.export("token", pulumi.Output.secret(config.get("token") or "not-set"))
