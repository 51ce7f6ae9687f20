"""Layers and the module system: ``from tinygrad_gen import nn``; the stateless math is ``nn.functional``."""
from . import functional, init
from .module import Module, Parameter, Sequential, ModuleList
from .layers import (Linear, Conv2d, ConvTranspose2d, BatchNorm1d, BatchNorm2d, LayerNorm, Embedding, Dropout,
                     ReLU, LeakyReLU, GELU, Tanh, Sigmoid)
from .attention import MultiHeadAttention
from .activations import (SiLU, SELU, Hardsigmoid, Hardswish, ReLU6, Softsign, Mish, Softplus, LogSigmoid, ELU, CELU,
                          Hardtanh, Softmax, LogSoftmax)

__all__ = ["functional", "init", "Module", "Parameter", "Sequential", "ModuleList", "Linear", "Conv2d",
           "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding", "Dropout", "ReLU", "LeakyReLU",
           "GELU", "Tanh", "Sigmoid", "MultiHeadAttention", "SiLU", "SELU", "Hardsigmoid", "Hardswish",
           "ReLU6", "Softsign", "Mish", "Softplus", "LogSigmoid", "ELU", "CELU", "Hardtanh", "Softmax", "LogSoftmax"]
