"""ECS in motion: ECS's behaviour over time, as a small layer on moto's own models.

moto answers ECS calls from static models: a service never starts a task, a deployment never
rolls. This layer gives the local AWS a clock (engine.py) and ECS's service scheduler
(scheduler.py): services start and stop tasks (tasks.py) towards their desired count, roll out new
revisions within minimumHealthyPercent/maximumPercent, trip the circuit breaker and roll back,
register their tasks in ELBv2 target groups and Cloud Map (attachments.py); RunTask/StartTask
tasks run and exit. Everything is kept on moto's model objects (hooks.py wraps moto's backend
methods), so DescribeServices, ListTasks, DescribeTasks, DescribeTargetHealth and Cloud Map tell
one story. Pace and task rules are per account (settings.py), set through the control routes
(control.py). docs/local-aws.md describes it for users of the test stack.
"""

from __future__ import annotations

from . import autoscaling, compat, hooks
from .control import Middleware
from .engine import Engine

ENGINE = Engine()


def install(engine: Engine = ENGINE) -> Engine:
    """Checks moto's internals and wraps them; idempotent. The clock is started separately."""
    compat.check()
    hooks.install(engine)
    autoscaling.install(engine)
    return engine


__all__ = ["ENGINE", "Engine", "Middleware", "install"]
