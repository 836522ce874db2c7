"""python -m redpy: the same as redpy-server."""

import sys

from .cli import main

sys.exit(main())
