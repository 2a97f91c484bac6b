"""Compile a module's loop functions with numba on first use, parallel over their ``_prange``.

The functions stay plain Python (``_prange = range`` in their module) until
:func:`compile_parallel` binds ``_prange`` to ``numba.prange`` and jits them, once per module
and process; the machine code is cached on disk beside the module. numba is imported here
only, when first needed, so that modules using it import without it.
"""

from __future__ import annotations

import threading

_LOCK = threading.Lock()
_COMPILED: dict[str, tuple | None] = {}


def compile_parallel(module_globals: dict, names: tuple[str, ...]) -> tuple | None:
    """The jitted functions ``names`` of the module whose ``globals()`` are given, or None
    where numba is not installed."""
    key = module_globals["__name__"]
    with _LOCK:
        if key not in _COMPILED:
            try:
                import numba
            except ImportError:
                _COMPILED[key] = None
            else:
                # Not OpenMP: numba's OpenMP pool shares the process's libgomp with PyTorch and
                # raises torch's intra-op threads to the machine's count, past the job's
                # share, and PyTorch's elementwise ops then gave rare irreproducible results.
                # (workqueue allows one caller at a time: no deepcons code calls these loops
                # from several Python threads at once)
                if numba.config.THREADING_LAYER == "default":
                    numba.config.THREADING_LAYER = "workqueue"
                module_globals["_prange"] = numba.prange
                jit = numba.njit(parallel=True, nogil=True, cache=True)
                _COMPILED[key] = tuple(jit(module_globals[name]) for name in names)
        return _COMPILED[key]


def set_threads(n: int) -> None:
    """Use at most ``n`` threads (the job's share of the machine) in the compiled loops."""
    import numba

    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
