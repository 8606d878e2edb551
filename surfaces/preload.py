"""Imported only by the sandbox's forkserver, last of its preload (``surfaces.sandbox.PRELOAD``).

Every worker is forked from that server. Its heap (SymPy, NumPy, SciPy:
tens of thousands of objects) would be walked by the first full garbage
collection in each worker, which touches, and so copies, every page of it: about half a second of
CPU per job. Frozen, the collector leaves those objects alone.
"""

import gc

gc.freeze()
