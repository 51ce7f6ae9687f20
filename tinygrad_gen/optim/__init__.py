"""Optimizers (SGD, Adam, AdamW, RMSprop), gradient clipping and learning-rate schedules (``optim.lr_scheduler``)."""
from . import lr_scheduler
from .adam import Adam, AdamW
from .clip import clip_grad_norm_
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "clip_grad_norm_", "lr_scheduler"]
