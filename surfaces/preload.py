"""Imported only by the sandbox's forkserver, last of its preload (``surfaces.sandbox._preload``).

Every worker is forked from that server. Its heap (SymPy, NumPy, SciPy, and Streamlit when the
server runs under ``streamlit run``: ~140,000 objects) would be walked by the first full garbage
collection in each worker, which touches, and so copies, every page of it: about half a second of
CPU per job. Frozen, the collector leaves those objects alone.
"""

import gc

gc.freeze()
