"""Optimizers (SGD, Adam, AdamW), gradient clipping and learning-rate schedules (``optim.lr_scheduler``)."""
from . import lr_scheduler
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .clip import clip_grad_norm_

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "clip_grad_norm_", "lr_scheduler"]
