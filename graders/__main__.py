import sys

from .apps import main

if __name__ == "__main__":
    sys.exit(main())
