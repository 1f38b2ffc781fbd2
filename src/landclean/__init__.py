"""landclean: clean and enrich a provincial land (cadastral) database.

The public API is small: open a workspace, generate a synthetic province, run the
pipeline. Everything else lives in one module per concept.
"""

from landclean.errors import LandcleanError

__version__ = "0.1.0"
__all__ = ["LandcleanError", "__version__"]
