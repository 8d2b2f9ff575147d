"""A CloudRaya registry and the Kubernetes objects that let a namespace's pods pull from it.

The Secret (`kubernetes.io/dockerconfigjson`) and the ServiceAccount (with `imagePullSecrets`)
are rendered as YAML into a directory (`renderDir`) instead of being applied to a cluster; apply
them with `kubectl apply -f <renderDir>` or point a real `kubernetes.Provider` at your cluster.
"""

import pulumi
import pulumi_cloudraya as cloudraya
import pulumi_kubernetes as k8s
from manifests import pull_secret, service_account

config = pulumi.Config()
namespace = config.get("namespace") or "default"
secret_name = config.get("secretName") or "cloudraya-pull"

registry = cloudraya.Registry(
    "registry",
    name=config.require("registryName"),
    storage_gb=10,
    force_destroy=config.get_bool("forceDestroy") or False,
)
password = cloudraya.RegistryPassword("password", registry=registry.name)

render = k8s.Provider("render", render_yaml_to_directory=config.get("renderDir") or "rendered")

# dockerConfigJson is a secret output; the manifests built from it stay secret in the state.
objects = password.docker_config_json.apply(
    lambda document: [
        pull_secret(secret_name, namespace, document),
        service_account(config.get("serviceAccount") or "app", namespace, secret_name),
    ]
)
k8s.yaml.v2.ConfigGroup("pull-access", objs=objects, opts=pulumi.ResourceOptions(provider=render))

pulumi.export("endpoint", registry.endpoint)
pulumi.export("secretName", secret_name)
