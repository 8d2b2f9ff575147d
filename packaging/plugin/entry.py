"""Entry script of the bundled plugin (PyInstaller needs a script, not a module's `main`)."""

import sys

from cloudraya_provider.main import main

sys.exit(main())
