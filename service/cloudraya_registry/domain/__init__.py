"""The registry's rules, called alike by the OCI data plane (``/v2``), the JSON control plane
(``/api/v1``) and the dashboard (``/ui``).

Nothing here speaks HTTP: functions take a :class:`~cloudraya_registry.state.ServiceState` (or
a session inside one of its transactions), return plain data and raise
:mod:`~cloudraya_registry.domain.errors` exceptions, which each surface turns into its own error
format. One module per concept of the product documentation:

- words shared by every part: ``names`` (name rules), ``media_types``, ``scan_states``,
  ``audit`` (actions with their labels, and the log itself);
- ``registries`` (create, read, settings, storage, delete), ``credentials`` (password reset),
  ``api_tokens``;
- ``repositories``, ``artifacts`` (manifests, tags, and ``resolve`` of a tag or digest),
  ``blobs``, ``uploads``;
- rules of the push path: ``quota``, ``immutability``; ``changes`` names what a push-path
  request is about to change, so the data plane's per-route policy steps can check it inside
  the committing transaction;
- ``purge`` removes the bytes of deleted content.
"""
