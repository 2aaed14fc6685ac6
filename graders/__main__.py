"""``python -m graders``: the same command as ``graders`` (:func:`graders.apps.main`)."""

import sys

from .apps import main

if __name__ == "__main__":
    sys.exit(main())
