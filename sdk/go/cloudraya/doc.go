// Manage CloudRaya Container Registry (CCR) private registries, their settings and their credentials as code.
package cloudraya
