"""Optimizers (SGD, Adam, AdamW), gradient clipping and learning-rate schedules (``optim.lr_scheduler``)."""
from . import lr_scheduler
from .adam import Adam, AdamW
from .clip import clip_grad_norm_
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "clip_grad_norm_", "lr_scheduler"]
