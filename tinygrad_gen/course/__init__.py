"""The course kit: exercises with blanks cut from the engine's own source, per-task tests, and a grader.

``tasks`` is the table of tasks (what to derive, where in the engine, how it is checked), ``source`` cuts a task's
code out of the engine and blanks it, ``workspace`` writes a student's folder (``tgg exercise start``), ``checks``
computes what a task is graded on, ``run_task`` grades one task in a process of its own, and ``grade`` runs them
all and writes the table, Gradescope's ``results.json`` and JUnit XML (``tgg exercise grade``).

The solutions are never copied: a workspace is generated from the installed engine, so the exercises and the code
that trains the lecture's models are one and the same.
"""
