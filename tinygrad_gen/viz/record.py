"""Which Module call made each graph node, for ``draw(collapse=...)``: ``record_modules()`` registers a forward
pre-hook and a forward hook (on every module, or on the given modules and their sub-modules) and removes them when
its block ends.

The pre-hook pushes the call on a stack; the forward hook pops it and tags the nodes the call made with the calls
then running (its scope, outermost first): it walks back from the call's outputs, stopping at the call's arguments
and at nodes made before the call began. Nodes an inner call already tagged keep their (deeper) scope. The tags are
held weakly: they go when the nodes go.
"""
import contextlib
import itertools
import weakref
from typing import Iterator

from ..nn.module import Module, register_module_forward_hook, register_module_forward_pre_hook
from ..tensor import Tensor

_scopes = weakref.WeakKeyDictionary()  # graph node (Context) -> its scope: ((call number, id(module), class), ...)
_calls = itertools.count(1)            # call numbers, shared by all recorders so that they order calls alike


def scope_of(node):
    """The Module calls that were running when ``node`` was made, outermost first; () if none was recorded."""
    return _scopes.get(node, ())


def _tensors_in(obj):
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _tensors_in(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors_in(o)]
    return []


def _tag(out, args, scope):
    """Tag the nodes this call made with ``scope``: walk back from its outputs, stopping at its arguments and at
    nodes made before it began; nodes an inner call already tagged keep their (deeper) scope."""
    stop = {id(t) for t in _tensors_in(args)}
    began = scope[-1][0]
    seen, stack = set(), _tensors_in(out)
    while stack:
        t = stack.pop()
        ctx = t._ctx
        if id(t) in stop or ctx is None or id(ctx) in seen or ctx.inputs is None:
            continue
        seen.add(id(ctx))
        tag = _scopes.get(ctx)
        if tag is None:
            _scopes[ctx] = scope
        elif tag[-1][0] < began:
            continue
        stack.extend(x for x in ctx.inputs if isinstance(x, Tensor))


class _Recorder:
    """The two hooks of one ``record_modules`` block and the stack of Module calls running under them."""

    def __init__(self):
        self.stack = []  # (call number, id(module), class name) of the calls now running

    def enter(self, module, args):
        self.stack.append((next(_calls), id(module), type(module).__name__))

    def leave(self, module, args, kwargs, output):
        if not self.stack or self.stack[-1][1] != id(module):
            return  # an earlier pre-hook raised before enter() ran for this call
        frame = self.stack.pop()
        if output is not None:  # None: forward raised (the hook is always called)
            _tag(output, (args, kwargs), tuple(self.stack) + (frame,))


@contextlib.contextmanager
def record_modules(*modules: Module) -> Iterator[None]:
    """Inside this block the Module calls tag the graph nodes they make, so ``draw(..., collapse=...)`` can group
    them into one box per call. With no argument every Module call is recorded (models built inside the block
    too); given modules, only their calls and those of their sub-modules. It works through forward hooks, removed
    when the block ends (even after an error): outside it, Module calls run exactly as before.

        with tg.viz.record_modules():
            loss = model(x).sum()
        tg.draw(loss, params=model, collapse=True)
    """
    for m in modules:
        if not isinstance(m, Module):
            raise TypeError(f"record_modules: pass Modules, got a {type(m).__name__}")
    recorder = _Recorder()
    if modules:
        every = {id(m): m for top in modules for m in top.modules()}.values()
        handles = [h for m in every for h in (m.register_forward_pre_hook(recorder.enter),
                                              m.register_forward_hook(recorder.leave, with_kwargs=True,
                                                                      always_call=True))]
    else:
        handles = [register_module_forward_pre_hook(recorder.enter),
                   register_module_forward_hook(recorder.leave, with_kwargs=True, always_call=True)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()
