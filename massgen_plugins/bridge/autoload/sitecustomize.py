"""`massgen-plugins run` puts this folder first on PYTHONPATH: start the bridge, then chain.

Python imports only the first `sitecustomize` on the path, so the one this shadows (a
distribution's or the environment's own) is found further along the path and run as well.
"""

import importlib.machinery
import importlib.util
import os
import sys

import _massgen_plugins_bridge

_massgen_plugins_bridge.install()

_here = os.path.dirname(os.path.abspath(__file__))
_rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
_spec = importlib.machinery.PathFinder.find_spec("sitecustomize", _rest)
if _spec is not None and _spec.loader is not None:
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
