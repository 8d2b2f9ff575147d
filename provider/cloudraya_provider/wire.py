"""Pulumi property values on the wire <-> plain Python values.

The engine encodes unknown values as a sentinel string and secrets as an object carrying a
signature key. Decoding unwraps both (unknowns become `UNKNOWN`) and remembers which top-level
properties were secret; encoding wraps the properties that must stay secret.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2

from .values import UNKNOWN, Props

UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def decode(struct: struct_pb2.Struct | None) -> tuple[Props, set[str]]:
    """Plain properties and the names of the top-level properties that were (or held) secrets."""
    if struct is None:
        return {}, set()
    props: Props = {}
    secrets: set[str] = set()
    for key, value in struct.fields.items():
        plain, secret = _decode_value(value)
        props[key] = plain
        if secret:
            secrets.add(key)
    return props, secrets


def _decode_value(value: struct_pb2.Value) -> tuple[Any, bool]:
    kind = value.WhichOneof("kind")
    if kind == "null_value" or kind is None:
        return None, False
    if kind == "bool_value":
        return value.bool_value, False
    if kind == "number_value":
        number = value.number_value
        return (int(number) if number.is_integer() else number), False
    if kind == "string_value":
        text = value.string_value
        return (UNKNOWN if text == UNKNOWN_SENTINEL else text), False
    if kind == "list_value":
        items = [_decode_value(item) for item in value.list_value.values]
        return [plain for plain, _ in items], any(secret for _, secret in items)
    fields = value.struct_value.fields
    if SIG_KEY in fields and fields[SIG_KEY].string_value == SECRET_SIG:
        plain, _ = _decode_value(fields["value"]) if "value" in fields else (None, False)
        return plain, True
    if SIG_KEY in fields:
        # Resource references and output values are not requested (Configure says so).
        return UNKNOWN, False
    decoded = {key: _decode_value(item) for key, item in fields.items()}
    return {k: plain for k, (plain, _) in decoded.items()}, any(s for _, s in decoded.values())


def encode(props: Props, secrets: set[str] | frozenset[str] = frozenset()) -> struct_pb2.Struct:
    """A Struct with `secrets` wrapped as secret values; None values are left out."""
    struct = struct_pb2.Struct()
    for key, value in props.items():
        if value is None:
            continue
        plain = _plain(value)
        if key in secrets and value is not UNKNOWN:
            plain = {SIG_KEY: SECRET_SIG, "value": plain}
        struct.fields[key].CopyFrom(_to_value(plain))
    return struct


def _plain(value: Any) -> Any:
    if value is UNKNOWN:
        return UNKNOWN_SENTINEL
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _to_value(plain: Any) -> struct_pb2.Value:
    holder = struct_pb2.Struct()
    holder.update({"v": plain})
    return holder.fields["v"]
