"""``python -m tinygrad_gen.cli.docs [--build]``: write the docs site's pages, and build it."""
import sys

from . import main

sys.exit(main())
