"""Kept only for `edrm/cli/__init__.py`, which this change leaves alone: the demo leavers now
live in `harvest.demo`. Delete this module once that import reads
`from harvest.demo import load_demo_leavers`."""

from harvest.demo import load_demo_leavers

__all__ = ["load_demo_leavers"]
