// One private registry per environment; the stack (dev, staging, prod) picks the settings.
//
// Per-environment values live in Pulumi.<stack>.yaml. The service endpoint and API token come
// from `cloudraya:endpoint` / `cloudraya:apiToken` (or CLOUDRAYA_ENDPOINT / CLOUDRAYA_API_TOKEN).
import * as pulumi from "@pulumi/pulumi";
import * as cloudraya from "@cloudraya/pulumi-cloudraya";

const config = new pulumi.Config();

const registry = new cloudraya.Registry("registry", {
    name: config.require("registryName"),
    storageGb: config.getNumber("storageGb") ?? 10,
    forceDestroy: config.getBoolean("forceDestroy") ?? false,
});

const settings = new cloudraya.RegistrySettings("settings", {
    registry: registry.name,
    tagImmutability: config.getBoolean("tagImmutability") ?? false,
    scanOnPush: config.getBoolean("scanOnPush") ?? true,
});

const credential = new cloudraya.RegistryPassword("password", {
    registry: registry.name,
    keepers: { rotation: config.get("passwordRotation") ?? "initial" },
});

// The registry's username is its name, known once the registry exists; a registry that is
// still to be created gets its push commands at `pulumi up`, not at preview.
const push = cloudraya.getPushCommandOutput({
    registry: registry.username,
    repository: "my-app",
    tag: "v1.0.0",
});

export const registryName = registry.name;
export const endpoint = registry.endpoint;
export const username = credential.username;
export const password = credential.password;
export const dockerConfigJson = credential.dockerConfigJson;
export const tagImmutability = settings.tagImmutability;
export const image = push.image;
export const pushCommands = push.commands;
