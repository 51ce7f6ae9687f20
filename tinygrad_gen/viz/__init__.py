"""See backprop happen: a picture of the computation graph, and the backward pass traced node by node.

    g = tg.draw(loss, params=model)        # one node per op and per tensor; g.source is Graphviz DOT text
    g.save("graph.svg")                    # .dot always works; .svg and .png need Graphviz's ``dot`` program
    with tg.trace_backward(params=model) as trace:
        loss.backward()
    print(trace)                           # one row per node, in the order the backward pass visited them

    tg.viz.step_through(loss, "backward.html", params=model)   # runs loss.backward(): a page to step through it

The first two only read the graph: they change no gradient and keep no reference to it. Drawn after
``backward(retain_graph=True)``, each tensor shows its gradient's shape and norm (a gradient holding NaN or Inf is
coloured red), and each op the step at which the backward pass visits it.

``collapse=`` groups the ops of one Module call into one box. It needs to know which call made each node, so the
forward must run inside ``with tg.viz.record_modules():``, which tags the nodes through Module forward hooks while
it is active and removes them when it is left.

The files: ``picture.py`` draws (``draw``, ``Graph``), ``record.py`` records which Module call made each node
(``record_modules``), ``trace.py`` traces the backward pass (``trace_backward``), ``stepper.py`` writes the page
that steps through it (``step_through``), ``common.py`` holds what they share (parameter names, array statistics).
They use the engine's hooks (``autograd.on_backward_node``, Module forward hooks) and change nothing in another
module.
"""
from .picture import INSTALL_DOT, Graph, draw
from .record import record_modules
from .stepper import BackwardSteps, step_through
from .trace import trace_backward

__all__ = ["draw", "Graph", "INSTALL_DOT", "record_modules", "trace_backward", "step_through", "BackwardSteps"]
