"""Inputs that must be refused at preview; `pulumi config set case <name>` picks one."""

import pulumi
import pulumi_cloudraya as cloudraya

config = pulumi.Config()
case = config.require("case")

if case == "password":
    # A secret read with get() is a plain string to the program.
    cloudraya.Registry("checked", name="checked-registry", password=config.get("password"))
elif case == "raw-password":
    # The same value registered without the SDK's secret wrapping.
    pulumi.CustomResource(
        "cloudraya:index:Registry",
        "checked",
        {"name": "checked-registry", "password": config.get("password")},
    )
elif case == "too-large":
    cloudraya.Registry("checked", name="checked-registry", storage_gb=100_010)
elif case == "boolean-storage":
    pulumi.CustomResource(
        "cloudraya:index:Registry", "checked", {"name": "checked-registry", "storageGb": True}
    )
elif case == "taken":
    cloudraya.Registry("checked", name="taken-registry")
