"""``nn.utils``: where PyTorch code looks for gradient clipping (``torch.nn.utils.clip_grad_norm_``); the functions
live with the optimizers, in ``optim/clip.py``."""
from ..optim.clip import clip_grad_norm_

__all__ = ["clip_grad_norm_"]
