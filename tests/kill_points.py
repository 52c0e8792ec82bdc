"""The kill points of the crash tests: the start of the script a crash test's child process runs
(`python -c KILL_HOOKS + rest`), which kills that real process with SIGKILL at a chosen point.

- `die()`: SIGKILL now, nothing cleaned up (no `finally`, no atexit, no commit).
- `wrap("module.function", before=..., then_commit=..., everywhere=...)`: kill before the
  function runs, as soon as it returns, or at the first commit after it has returned;
  `everywhere` also hooks the modules that imported the function by name before the hook.
"""

KILL_HOOKS = r"""
import importlib, os, signal, sys

from sqlalchemy import event
from sqlalchemy.orm import Session


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def wrap(name, *, before=False, then_commit=False, everywhere=False):
    module, function = name.rsplit(".", 1)
    owner = importlib.import_module(module)
    real = getattr(owner, function)
    returned = []

    def hooked(*args, **kwargs):
        if before:
            die()
        result = real(*args, **kwargs)
        if not then_commit:
            die()
        returned.append(True)
        return result

    if then_commit:
        event.listen(Session, "after_commit", lambda session: returned and die())
    setattr(owner, function, hooked)
    if everywhere:
        for other in list(sys.modules.values()):
            if getattr(other, function, None) is real and other is not owner:
                setattr(other, function, hooked)
"""
