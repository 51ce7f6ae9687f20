"""PyTorch twins of our modules for the step benchmarks: the same layers with the same initial weights.

``sequential(torch, ours)`` turns one of our ``nn.Sequential`` stacks (Linear, Conv2d, ConvTranspose2d, BatchNorm,
ReLU, LeakyReLU, Tanh, Sigmoid, GELU) into the equivalent ``torch.nn.Sequential`` with every weight copied, so
a twin starts exactly where ours does; ``copy_params`` does the copy for twins written by hand. ``adam_twin`` builds
PyTorch's Adam/AdamW with the options of one of our optimizers, group by group.
"""
import numpy as np

from tinygrad_gen import nn


def copy_params(torch, ours, theirs):
    """Copy our parameters into a torch module, in registration order (shapes must agree one by one)."""
    mine, peer = list(ours.parameters()), list(theirs.parameters())
    if len(mine) != len(peer):
        raise ValueError(f"copy_params: {len(mine)} parameters here, {len(peer)} in the PyTorch twin")
    with torch.no_grad():
        for a, b in zip(mine, peer):
            if tuple(a.shape) != tuple(b.shape):
                raise ValueError(f"copy_params: shape {a.shape} here, {tuple(b.shape)} in the twin")
            b.copy_(torch.from_numpy(np.ascontiguousarray(a.numpy())))
    return theirs


def _layer(torch, m):
    tnn = torch.nn
    if isinstance(m, nn.Linear):
        return tnn.Linear(m.in_features, m.out_features, bias=m.bias is not None)
    if isinstance(m, nn.Conv2d):
        return tnn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups,
                          bias=m.bias is not None)
    if isinstance(m, nn.ConvTranspose2d):
        return tnn.ConvTranspose2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
                                   m.output_padding, m.groups, m.bias is not None, m.dilation)
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        kind = tnn.BatchNorm2d if isinstance(m, nn.BatchNorm2d) else tnn.BatchNorm1d
        return kind(m.num_features, m.eps, m.momentum, m.affine, m.track_running_stats)
    if isinstance(m, nn.LeakyReLU):
        return tnn.LeakyReLU(m.negative_slope)
    for ours, theirs in ((nn.ReLU, tnn.ReLU), (nn.Tanh, tnn.Tanh), (nn.Sigmoid, tnn.Sigmoid), (nn.GELU, tnn.GELU)):
        if isinstance(m, ours):
            return theirs()
    raise TypeError(f"sequential: no PyTorch twin for {type(m).__name__}")


def sequential(torch, ours):
    """The torch.nn.Sequential twin of our Sequential, weights copied."""
    return copy_params(torch, ours, torch.nn.Sequential(*(_layer(torch, m) for m in ours)))


def adam_twin(torch, optimizer, *pairs):
    """PyTorch's Adam or AdamW with the groups and options of our ``optimizer``, over the twins' parameters;
    ``pairs`` are (our module, its twin), whose parameters correspond in registration order."""
    peer = {id(a): b for ours, twin in pairs for a, b in zip(ours.parameters(), twin.parameters())}
    groups = [{"params": [peer[id(p)] for p in g["params"]],
               **{k: v for k, v in g.items() if k in ("lr", "betas", "eps", "weight_decay")}}
              for g in optimizer.param_groups]
    kind = torch.optim.AdamW if type(optimizer).__name__ == "AdamW" else torch.optim.Adam
    return kind(groups)
