"""Running blocking work (disk, database) off the event loop, on the loop's worker pool."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    call = functools.partial(function, *args, **kwargs) if kwargs else function
    return await asyncio.get_running_loop().run_in_executor(None, call, *([] if kwargs else args))
