"""What a training step does with each loss it computes, as the ``update(name, loss)`` a model's step function
calls: ``tgg train`` and ``tgg bench step`` step that player's optimizer; ``tgg graph`` only keeps the loss."""
from typing import Callable, Mapping, Optional


def optimizer_update(optimizers: Mapping, clip: Optional[float] = None,
                     before_step: Optional[Callable] = None) -> Callable:
    """update(name, loss): zero the gradients of ``optimizers[name]``'s parameters, backpropagate ``loss``, call
    ``before_step(params)`` if given (data-parallel training averages the gradients there), clip their global norm
    at ``clip`` if given, step that optimizer."""
    from tinygrad_gen.optim import clip_grad_norm_

    def update(name, loss):
        opt = optimizers[name]
        params = [p for g in opt.param_groups for p in g["params"]]
        opt.zero_grad()
        loss.backward()
        if before_step is not None:
            before_step(params)
        if clip is not None:
            clip_grad_norm_(params, clip)
        opt.step()
    return update
