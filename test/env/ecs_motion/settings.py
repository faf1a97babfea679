"""Per-account knobs of the layer: the pace of the clock and the rules that decide what a task does.

Everything is counted in ticks, so that the same inputs give the same sequence whatever the
machine's speed; `tickMs` alone maps ticks to wall-clock time (0: the clock only moves when a test
asks for ticks through the control API).
"""

from __future__ import annotations

import fnmatch
import re
import threading
from dataclasses import dataclass, field, replace
from typing import Any

# camelCase (control API) -> attribute
PACE_FIELDS = {
    "tickMs": "tick_ms",
    "provisioningTicks": "provisioning_ticks",
    "pendingTicks": "pending_ticks",
    "healthyTicks": "healthy_ticks",
    "drainingTicks": "draining_ticks",
    "stoppingTicks": "stopping_ticks",
    "runTicks": "run_ticks",
    "minuteTicks": "minute_ticks",
}


@dataclass(frozen=True)
class Pace:
    # Wall-clock milliseconds per tick; 0 stops the clock (ticks only on request).
    tick_ms: int = 100
    # PROVISIONING -> PENDING, and PENDING -> RUNNING (or -> stopped, for a task that fails).
    provisioning_ticks: int = 1
    pending_ticks: int = 1
    # A registered target stays `initial` this long before it is `healthy`.
    healthy_ticks: int = 2
    # A deregistered target stays `draining` this long (the target group's deregistration delay).
    draining_ticks: int = 2
    # STOPPING -> STOPPED (DEPROVISIONING takes one more tick for awsvpc tasks, whose ENI goes).
    stopping_ticks: int = 1
    # How long a RunTask/StartTask task runs before its containers exit (unless a rule says otherwise).
    run_ticks: int = 10
    # One of ECS's minutes, for the times a deployment configuration gives in minutes (bake times,
    # canary and linear steps, lifecycle hook timeouts): a 5-minute bake is 5 * minute_ticks ticks.
    minute_ticks: int = 10

    def to_json(self) -> dict[str, int]:
        return {camel: getattr(self, attr) for camel, attr in PACE_FIELDS.items()}


def parse_pace(base: Pace, value: Any) -> Pace:
    if not isinstance(value, dict):
        raise ValueError("pace must be an object")
    unknown = sorted(set(value) - set(PACE_FIELDS))
    if unknown:
        raise ValueError(f"unknown pace fields: {', '.join(unknown)}; known: {', '.join(PACE_FIELDS)}")
    changes = {}
    for camel, v in value.items():
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ValueError(f"{camel} must be a non-negative integer")
        changes[PACE_FIELDS[camel]] = v
    return replace(base, **changes)


# What a task does once launched:
#   run   runs until something stops it (the default for service tasks);
#   exit  runs `runTicks`, then its containers exit with their exit codes (default for RunTask/StartTask);
#   fail  never reaches RUNNING: its containers exit while it starts (a deployment counts it as failed).
OUTCOMES = ("run", "exit", "fail")
LAUNCHERS = ("service", "task")

# An image tagged `exit-N` (e.g. `httpd:exit-1`) exits with code N as soon as it starts.
EXIT_TAG = re.compile(r":exit-(\d{1,3})$")


@dataclass(frozen=True)
class TaskRule:
    id: str
    outcome: str
    image: str | None = None  # fnmatch pattern, matched against every container's image
    family: str | None = None
    revision: int | None = None
    launched_by: str | None = None  # "service" (a service's scheduler) or "task" (RunTask/StartTask)
    exit_code: int | None = None  # every container's, unless exit_codes names it
    exit_codes: tuple[tuple[str, int], ...] = ()
    run_ticks: int | None = None
    reason: str | None = None  # stoppedReason instead of ECS's own

    def matches(self, task_definition: Any, launched_by: str) -> bool:
        if self.launched_by is not None and self.launched_by != launched_by:
            return False
        if self.family is not None and self.family != task_definition.family:
            return False
        if self.revision is not None and self.revision != task_definition.revision:
            return False
        if self.image is not None:
            images = [c.get("image") or "" for c in task_definition.container_definitions]
            if not any(fnmatch.fnmatchcase(i, self.image) for i in images):
                return False
        return True

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "outcome": self.outcome}
        for key, value in (
            ("image", self.image),
            ("family", self.family),
            ("revision", self.revision),
            ("launchedBy", self.launched_by),
            ("exitCode", self.exit_code),
            ("runTicks", self.run_ticks),
            ("reason", self.reason),
        ):
            if value is not None:
                out[key] = value
        if self.exit_codes:
            out["exitCodes"] = dict(self.exit_codes)
        return out


def _optional(value: dict[str, Any], key: str, kind: type, check: Any = None) -> Any:
    v = value.get(key)
    if v is None:
        return None
    if not isinstance(v, kind) or isinstance(v, bool) or (check is not None and not check(v)):
        raise ValueError(f"{key} has the wrong type or value: {v!r}")
    return v


def parse_rule(value: Any, rule_id: str) -> TaskRule:
    if not isinstance(value, dict):
        raise ValueError("a task rule must be an object")
    known = {"outcome", "image", "family", "revision", "launchedBy", "exitCode", "exitCodes", "runTicks", "reason"}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValueError(f"unknown task rule fields: {', '.join(unknown)}")
    outcome = value.get("outcome")
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    launched_by = value.get("launchedBy")
    if launched_by is not None and launched_by not in LAUNCHERS:
        raise ValueError(f"launchedBy must be one of {', '.join(LAUNCHERS)}")
    exit_codes = value.get("exitCodes") or {}
    if not isinstance(exit_codes, dict) or not all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in exit_codes.items()):
        raise ValueError("exitCodes must map container names to integers")
    return TaskRule(
        id=rule_id,
        outcome=outcome,
        image=_optional(value, "image", str),
        family=_optional(value, "family", str),
        revision=_optional(value, "revision", int, lambda v: v > 0),
        launched_by=launched_by,
        exit_code=_optional(value, "exitCode", int),
        exit_codes=tuple(sorted(exit_codes.items())),
        run_ticks=_optional(value, "runTicks", int, lambda v: v >= 0),
        reason=_optional(value, "reason", str),
    )


@dataclass(frozen=True)
class Behaviour:
    """What one launched task will do, decided once when it is launched."""

    outcome: str
    exit_codes: dict[str, int] = field(default_factory=dict)  # container name -> exit code when it stops by itself
    run_ticks: int | None = None
    reason: str | None = None


def _container_names(task_definition: Any) -> list[str]:
    return [c.get("name") or "" for c in task_definition.container_definitions]


def behaviour_from_rule(rule: TaskRule, task_definition: Any, default_run_ticks: int) -> Behaviour:
    default_code = rule.exit_code if rule.exit_code is not None else (1 if rule.outcome == "fail" else 0)
    codes = dict(rule.exit_codes)
    return Behaviour(
        outcome=rule.outcome,
        exit_codes={name: codes.get(name, default_code) for name in _container_names(task_definition)},
        run_ticks=rule.run_ticks if rule.run_ticks is not None else default_run_ticks,
        reason=rule.reason,
    )


class Settings:
    """Pace and task rules per account; accounts nobody configured get the defaults."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pace: dict[str, Pace] = {}
        self._rules: dict[str, list[TaskRule]] = {}
        self._next_rule = 1
        self.default_pace = Pace()

    def pace(self, account: str) -> Pace:
        return self._pace.get(account, self.default_pace)

    def set_pace(self, account: str, value: Any) -> Pace:
        with self._lock:
            pace = parse_pace(self.pace(account), value)
            self._pace[account] = pace
            return pace

    def rules(self, account: str) -> list[TaskRule]:
        return list(self._rules.get(account, []))

    def add_rule(self, account: str, value: Any) -> TaskRule:
        with self._lock:
            rule = parse_rule(value, str(self._next_rule))
            self._next_rule += 1
            self._rules.setdefault(account, []).append(rule)
            return rule

    def clear_rules(self, account: str) -> None:
        with self._lock:
            self._rules.pop(account, None)

    def reset(self, account: str) -> None:
        with self._lock:
            self._pace.pop(account, None)
            self._rules.pop(account, None)

    def behaviour(self, account: str, task_definition: Any, launched_by: str) -> Behaviour:
        """The newest matching rule wins; then the `exit-N` image tag; then the default."""
        pace = self.pace(account)
        for rule in reversed(self._rules.get(account, [])):
            if rule.matches(task_definition, launched_by):
                return behaviour_from_rule(rule, task_definition, pace.run_ticks)
        tagged = {}
        for c in task_definition.container_definitions:
            match = EXIT_TAG.search(c.get("image") or "")
            if match:
                tagged[c.get("name") or ""] = int(match.group(1))
        if tagged:
            return Behaviour(outcome="fail", exit_codes={n: tagged.get(n, 0) for n in _container_names(task_definition)})
        if launched_by == "task":
            return Behaviour(outcome="exit", exit_codes={n: 0 for n in _container_names(task_definition)}, run_ticks=pace.run_ticks)
        return Behaviour(outcome="run")
