"""``tg.linalg``: the names of PyTorch's ``torch.linalg`` that the engine has. The math lives in the op families
(``vector_norm`` in ``ops/reductions.py``); this module only gives it PyTorch's address, ``dim=`` and ``keepdim=``
included."""
from .binding import accept_aliases
from .ops.reductions import vector_norm

vector_norm = accept_aliases(vector_norm)

__all__ = ["vector_norm"]
