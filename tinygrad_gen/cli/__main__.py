"""``python -m tinygrad_gen.cli``: the same as ``tgg``."""
import sys

from . import main

sys.exit(main())
