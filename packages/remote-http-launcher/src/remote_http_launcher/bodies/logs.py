"""rhl-logs: print a service log.

The command body: the runner (``commands``) calls run() with the parsed values."""

from __future__ import annotations

import os
import sys

from .. import logs


def run(key: str, tail: int | None, follow: bool, previous: bool) -> int:
    fd, path = logs.open_log(key, previous=previous)
    stdout = sys.stdout.buffer
    try:
        if tail is None:
            offset = logs.copy_all(fd, stdout.write)
        else:
            data, offset = logs.tail_bytes(fd, tail)
            stdout.write(data)
        if follow:
            logs.follow(fd, path, offset, stdout.write, stdout.flush)
    except KeyboardInterrupt:
        pass
    finally:
        try:
            os.close(fd)
        except OSError:
            pass
    stdout.flush()
    return 0
