"""The policy steps of the data plane's push and pull paths, one small module each.

A route (see :mod:`cloudraya_registry.oci.routes`) lists its steps:

- before the handler: :mod:`auth` (who may do what; failed-login throttling and auditing);
- inside the committing transaction: the domain's checks (``domain.quota``,
  ``domain.immutability``);
- after success: :mod:`scan_on_push`, :mod:`pull_stats`, :mod:`housekeeping`.
"""
