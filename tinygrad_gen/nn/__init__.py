"""Layers and the module system: ``from tinygrad_gen import nn``; the stateless math is ``nn.functional``."""
from . import functional, init, utils
from .activations import (CELU, ELU, GELU, SELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax,
                          Mish, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softplus, Softsign, Tanh)
from .attention import MultiHeadAttention
from .conv3d import Conv3d, ConvTranspose3d
from .layers import (BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, Dropout, Embedding, Flatten, Identity,
                     LayerNorm, Linear, Unflatten)
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential
from .pooling import (AvgPool1d, AvgPool2d, AvgPool3d, MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool1d, MaxUnpool2d,
                      MaxUnpool3d)

__all__ = ["functional", "init", "Module", "Parameter", "Sequential", "ModuleList", "Linear", "Conv2d",
           "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding", "Dropout", "ReLU", "LeakyReLU",
           "GELU", "Tanh", "Sigmoid", "MultiHeadAttention", "SiLU", "SELU", "Hardsigmoid", "Hardswish",
           "ReLU6", "Softsign", "Mish", "Softplus", "LogSigmoid", "ELU", "CELU", "Hardtanh", "Softmax", "LogSoftmax",
           "ModuleDict", "Flatten", "Unflatten", "Identity", "MaxPool2d", "AvgPool2d", "CrossEntropyLoss", "NLLLoss",
           "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "utils", "Conv3d", "ConvTranspose3d", "AvgPool1d",
           "AvgPool3d", "MaxPool1d", "MaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]
