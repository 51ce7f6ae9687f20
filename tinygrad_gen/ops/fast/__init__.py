"""The CPU fast paths: each module registers, for one op family, subclasses of its plain ops that compute the same
values faster (``dispatch.register_fast_path``), with what they speed up and by how much. ``dispatch.pick`` chooses
between a plain op and its fast path (``TGG_KERNELS=reference`` runs the plain ops everywhere). Importing this
package imports every module in it, which registers them."""
import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")
