"""PyTorch's ``torch.utils`` names that code ported from PyTorch imports: ``tinygrad_gen.utils.data``."""
from . import data

__all__ = ["data"]
