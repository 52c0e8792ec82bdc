"""edrm: records and knowledge management for government."""

__version__ = "0.1.0"
