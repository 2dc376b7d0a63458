"""Allow ``python -m simiop``."""

from simiop.cli import main

main()
