"""Blue/green, canary and linear deployments (`deploymentConfiguration.strategy`), one tick at a time.

As the ECS developer guide describes them (deployment-type-blue-green, the ServiceDeployment
`lifecycleStage` of the API reference): the new (green) revision scales up to the full desired
count in the alternate target groups while the old (blue) one keeps all production traffic; the
test listener rules move to green; production traffic shifts on the production listener rules'
forward weights (BLUE_GREEN all at once, CANARY `canaryPercent` then the rest after
`canaryBakeTimeInMinutes`, LINEAR `stepPercent` at a time with `stepBakeTimeInMinutes` between
steps); both revisions run for `bakeTimeInMinutes`; then blue's tasks stop and the primary and
alternate target groups swap roles in the service's loadBalancers, so that the next release goes
the other way. Lifecycle hooks run at the stages they name: AWS_LAMBDA hooks succeed (no Lambda
here), PAUSE hooks wait for ContinueServiceDeployment or their timeout. A CloudWatch alarm of
`deploymentConfiguration.alarms` in ALARM (moto's CloudWatch, SetAlarmState) fails the release;
with `rollback` the production and test rules go back to blue and green's tasks stop.

Minutes are `minuteTicks` ticks (settings.py). Weights are written on moto's listener rules
in-process, as percentages (ELBv2 weights are integers of at most 999); only Application Load
Balancer listener rules are shifted (an NLB's listener given as productionListenerRule is not).
"""

from __future__ import annotations

from typing import Any, Callable

from moto.cloudwatch.models import cloudwatch_backends
from moto.elbv2.models import FakeAction, elbv2_backends
from moto.moto_api._internal import mock_random

from . import records, tasks
from .model import Deployment, ServiceMotion, add_event, now
from .settings import Pace

TRAFFIC_STRATEGIES = ("BLUE_GREEN", "CANARY", "LINEAR")

# The stages of one release, in order; PRE_PRODUCTION_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT
# repeat for every canary or linear step.
STAGES = (
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
)

# ECS's defaults (API reference: CanaryConfiguration, LinearConfiguration, DeploymentLifecycleHookTimeoutConfiguration).
CANARY_PERCENT, CANARY_BAKE_MINUTES = 5.0, 10
LINEAR_STEP_PERCENT, LINEAR_BAKE_MINUTES = 10.0, 6
HOOK_TIMEOUT_MINUTES, HOOK_TIMEOUT_ACTION = 1440, "ROLLBACK"

Start = Callable[[Deployment], bool]
Stop = Callable[[Any, str], None]


def strategy_of(service: Any) -> str:
    return ((getattr(service, "deployment_configuration", None) or {}).get("strategy")) or "ROLLING"


def shifted(service: Any) -> list[dict[str, Any]]:
    """The service's load balancers that take part in traffic shifting (an alternate target group)."""
    return [lb for lb in service.load_balancers or [] if (lb.get("advancedConfiguration") or {}).get("alternateTargetGroupArn")]


def swapped(load_balancers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each load balancer with its primary and alternate target groups exchanged."""
    out = []
    for lb in load_balancers:
        advanced = lb.get("advancedConfiguration") or {}
        alternate = advanced.get("alternateTargetGroupArn")
        if alternate:
            lb = {**lb, "targetGroupArn": alternate, "advancedConfiguration": {**advanced, "alternateTargetGroupArn": lb.get("targetGroupArn")}}
        out.append(lb)
    return out


def set_weights(service: Any, rule_key: str, load_balancers: list[dict[str, Any]], green_percent: float) -> None:
    """Rewrites the forward action of each named listener rule: blue (the primary target group of
    `load_balancers`) gets 100 - p, green (the alternate) p, as ECS does on the production and test rules."""
    backend = elbv2_backends[service._account_id][service.region_name]
    green = round(green_percent)
    for lb in load_balancers:
        advanced = lb.get("advancedConfiguration") or {}
        arn = advanced.get(rule_key)
        if not arn or ":listener-rule/" not in arn:
            continue
        rules = backend.describe_rules(listener_arn=None, rule_arns=[arn])
        if not rules:
            continue
        rule = rules[0]
        forward = next((a for a in rule.actions if a.type == "forward"), None)
        sticky = (forward.data.get("ForwardConfig") or {}).get("TargetGroupStickinessConfig") if forward is not None else None
        action = {
            "Type": "forward",
            "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": lb.get("targetGroupArn"), "Weight": 100 - green}, {"TargetGroupArn": advanced.get("alternateTargetGroupArn"), "Weight": green}],
                "TargetGroupStickinessConfig": sticky or {"Enabled": False},
            },
        }
        if forward is not None and "Order" in forward.data:
            action["Order"] = forward.data["Order"]
        rule.actions = [FakeAction(action) if a is forward else a for a in rule.actions] if forward is not None else [FakeAction(action)]


def take_over_traffic(service: Any) -> None:
    """A service's first deployment has completed: ECS writes the rules' weights, all on the primary target group."""
    lbs = shifted(service)
    if lbs and strategy_of(service) in TRAFFIC_STRATEGIES:
        set_weights(service, "productionListenerRule", lbs, 0.0)
        set_weights(service, "testListenerRule", lbs, 0.0)


class Release:
    """Where one blue/green, canary or linear deployment stands."""

    def __init__(self, service: Any, green: Deployment, blue: Deployment, strategy: str, pace: Pace) -> None:
        config = dict(getattr(service, "deployment_configuration", None) or {})
        self.strategy = strategy
        self.blue = blue
        self.green = green
        # The service's load balancers as blue serves them (blue in the primary target groups).
        self.load_balancers = shifted(service)
        self.stage = "PRE_SCALE_UP"
        self.entered = False  # the current stage's hooks were started
        self.wait = 0  # ticks left of a bake in the current stage
        self.production = 0.0  # percent of production traffic on green
        self.test = 0.0
        self.hooks: list[dict[str, Any]] = []  # lifecycleHookDetails of the current stage
        self.outcome: str | None = None  # None while under way; then the record's final status
        self.rolling_back = False
        self.config = config
        self.minute = max(1, pace.minute_ticks)
        green._task_load_balancers = swapped(green._task_load_balancers)

    @property
    def active(self) -> bool:
        return self.outcome is None and not self.rolling_back

    # -- the stage machine ---------------------------------------------------------------------

    def advance(self, service: Any, desired: int, start: Start, stop: Stop) -> None:
        if self.rolling_back:
            self._finish_rollback(service)
            return
        if self.outcome is not None:
            return
        triggered = self._alarms_in_alarm(service)
        if triggered and self.stage != "CLEAN_UP":
            self._fail(service, f"alarm(s) {', '.join(triggered)} in ALARM state", triggered=triggered, rollback=bool((self.config.get("alarms") or {}).get("rollback")), stop=stop)
            return
        if not self.entered:
            self.entered = True
            self._start_hooks(service)
        verdict = self._hooks_verdict(service)
        if verdict == "ROLLBACK":
            self._fail(service, f"lifecycle hook at {self.stage} asked for a rollback", rollback=True, stop=stop)
            return
        if verdict == "WAIT":
            return
        if self.wait > 0:
            self.wait -= 1
            if self.wait > 0:
                return
            if self.stage == "PRODUCTION_TRAFFIC_SHIFT":
                # A canary or linear step has baked: the next step starts with its own hooks.
                self._enter("PRE_PRODUCTION_TRAFFIC_SHIFT")
                return
            self._next()
            return
        getattr(self, f"_stage_{self.stage.lower()}")(service, desired, start, stop)

    def _enter(self, stage: str) -> None:
        self.stage = stage
        self.entered = False
        self.hooks = []
        self.wait = 0

    def _next(self) -> None:
        self._enter(STAGES[STAGES.index(self.stage) + 1])

    def _stage_pre_scale_up(self, service: Any, desired: int, start: Start, stop: Stop) -> None:
        self._next()

    def _stage_scale_up(self, service: Any, desired: int, start: Start, stop: Stop) -> None:
        m: ServiceMotion = service._ecs_motion
        mine = [t for t in m.tasks if tasks.is_live(t) and t._ecs_motion.deployment is self.green]
        for _ in range(max(0, desired - len(mine))):
            if not start(self.green):
                break
        mine = [t for t in m.tasks if tasks.is_live(t) and t._ecs_motion.deployment is self.green]
        if len(mine) >= desired and all(tasks.is_healthy(t) for t in mine):
            self._next()

    def _stage_post_scale_up(self, service: Any, desired: int, start: Start, stop: Stop) -> None:
        self._next()

    def _stage_test_traffic_shift(self, service: Any, desired: int, start: Start, stop: Stop) -> None:
        self.test = 100.0
        set_weights(service, "testListenerRule", self.load_balancers, self.test)
        self._next()

    def _stage_post_test_traffic_shift(self, service: Any, desired: int, start: Start, stop: Stop) -> None:
        self._next()

    def _stage_pre_production_traffic_shift(self, service: Any, desired: int, start: Start, stop: Stop) -> None:
        self._next()

    def _stage_production_traffic_shift(self, service: Any, desired: int, start: Start, stop: Stop) -> None:
        if self.strategy == "CANARY":
            canary = self.config.get("canaryConfiguration") or {}
            percent, bake = float(canary.get("canaryPercent", CANARY_PERCENT)), int(canary.get("canaryBakeTimeInMinutes", CANARY_BAKE_MINUTES))
            self.production = percent if self.production == 0 else 100.0
        elif self.strategy == "LINEAR":
            linear = self.config.get("linearConfiguration") or {}
            percent, bake = float(linear.get("stepPercent", LINEAR_STEP_PERCENT)), int(linear.get("stepBakeTimeInMinutes", LINEAR_BAKE_MINUTES))
            self.production = min(100.0, round(self.production + percent, 1))
        else:
            bake = 0
            self.production = 100.0
        set_weights(service, "productionListenerRule", self.load_balancers, self.production)
        add_event(service, f"(service {service.name}) (deployment {self.green.id}) shifted {self.production:g}% of production traffic to the new service revision.")
        if self.production >= 100.0:
            self._next()
        elif bake > 0:
            self.wait = bake * self.minute
        else:
            self._enter("PRE_PRODUCTION_TRAFFIC_SHIFT")

    def _stage_post_production_traffic_shift(self, service: Any, desired: int, start: Start, stop: Stop) -> None:
        self._next()
        minutes = int(self.config.get("bakeTimeInMinutes") or 0)
        self.wait = minutes * self.minute + 1 if minutes > 0 else 0

    def _stage_bake_time(self, service: Any, desired: int, start: Start, stop: Stop) -> None:
        self._next()

    def _stage_clean_up(self, service: Any, desired: int, start: Start, stop: Stop) -> None:
        m: ServiceMotion = service._ecs_motion
        reason = f"Scaling activity initiated by (deployment {self.green.id})"
        for task in [t for t in m.tasks if tasks.is_live(t) and t._ecs_motion.deployment is not self.green]:
            stop(task, reason)
        if any(t._ecs_motion.deployment is not self.green for t in m.tasks):
            return
        # Green is production now: its target groups are the primary ones from here on.
        service.load_balancers = swapped(service.load_balancers or [])
        self.green._revision = type(self.green._revision).of(service)
        self.outcome = "SUCCESSFUL"
        self.green.set(rollout_state="COMPLETED", rollout_state_reason=f"ECS deployment {self.green.id} completed.")
        m.last_completed = self.green
        add_event(service, f"(service {service.name}) (deployment {self.green.id}) deployment completed.")
        records.set_status(self.green._record, "SUCCESSFUL", f"ECS deployment {self.green.id} completed.")

    # -- lifecycle hooks -------------------------------------------------------------------------

    def _start_hooks(self, service: Any) -> None:
        self.hooks = []
        for hook in self.config.get("lifecycleHooks") or []:
            if self.stage not in (hook.get("lifecycleStages") or []):
                continue
            kind = hook.get("targetType") or "AWS_LAMBDA"
            timeout = hook.get("timeoutConfiguration") or {}
            detail = {
                "hookId": str(mock_random.uuid4()),
                "targetType": kind,
                "status": "AWAITING_ACTION" if kind == "PAUSE" else "IN_PROGRESS",
                "timeoutAction": timeout.get("action") or HOOK_TIMEOUT_ACTION,
                "_ticks_left": int(timeout.get("timeoutInMinutes") or HOOK_TIMEOUT_MINUTES) * self.minute,
            }
            if hook.get("hookTargetArn"):
                detail["targetArn"] = hook["hookTargetArn"]
            self.hooks.append(detail)

    def _hooks_verdict(self, service: Any) -> str:
        """CONTINUE once every hook of the stage succeeded; WAIT while one is pending; ROLLBACK."""
        verdict = "CONTINUE"
        for hook in self.hooks:
            if hook["status"] == "IN_PROGRESS":
                # A Lambda hook answers SUCCEEDED (there is no Lambda to run).
                hook["status"] = "SUCCEEDED"
            elif hook["status"] == "AWAITING_ACTION":
                hook["_ticks_left"] -= 1
                if hook["_ticks_left"] <= 0:
                    hook["status"] = "TIMED_OUT"
                    if hook["timeoutAction"] == "ROLLBACK":
                        return "ROLLBACK"
                else:
                    verdict = "WAIT"
            elif hook["status"] == "FAILED":
                return "ROLLBACK"
        return verdict

    def resolve_hook(self, hook_id: str, action: str) -> bool:
        """ContinueServiceDeployment on a paused hook; False when no such hook awaits action."""
        hook = next((h for h in self.hooks if h["hookId"] == hook_id and h["status"] == "AWAITING_ACTION"), None)
        if hook is None or not self.active:
            return False
        hook["status"] = "SUCCEEDED" if action == "CONTINUE" else "FAILED"
        return True

    # -- failure and rollback ----------------------------------------------------------------------

    def _alarms_in_alarm(self, service: Any) -> list[str]:
        alarms = self.config.get("alarms") or {}
        if not alarms.get("enable"):
            return []
        backend = cloudwatch_backends[service._account_id][service.region_name]
        return [name for name in alarms.get("alarmNames") or [] if name in backend.alarms and backend.alarms[name].state_value == "ALARM"]

    def stop_requested(self, service: Any, stop: Stop, stop_type: str) -> None:
        """StopServiceDeployment: ROLLBACK brings blue back; ABORT leaves things as they are."""
        self._fail(service, "Service deployment stopped by StopServiceDeployment", rollback=stop_type == "ROLLBACK", stop=stop, stopped=True)

    def _fail(self, service: Any, reason: str, *, rollback: bool, stop: Stop, triggered: list[str] | None = None, stopped: bool = False) -> None:
        record = self.green._record
        if record is not None and triggered:
            record["alarms"].update(status="TRIGGERED", triggeredAlarmNames=triggered)
        self.green.set(rollout_state="FAILED", rollout_state_reason=f"ECS deployment {self.green.id} failed: {reason}.")
        add_event(service, f"(service {service.name}) (deployment {self.green.id}) deployment failed: {reason}.")
        if not rollback:
            self.outcome = "STOPPED"
            records.set_status(record, "STOPPED", reason)
            return
        self.rolling_back = True
        records.set_status(record, "ROLLBACK_IN_PROGRESS", reason)
        if record is not None:
            record["rollback"] = {"reason": reason, "startedAt": now(), "serviceRevisionArn": records.revision_arn(service, self.blue)}
        self.production = self.test = 0.0
        set_weights(service, "productionListenerRule", self.load_balancers, 0.0)
        set_weights(service, "testListenerRule", self.load_balancers, 0.0)
        m: ServiceMotion = service._ecs_motion
        self.green.set(status="ACTIVE")
        self.blue.set(status="PRIMARY")
        rev = self.blue._revision
        service.task_definition = rev.task_definition
        for task in [t for t in m.tasks if tasks.is_live(t) and t._ecs_motion.deployment is self.green]:
            stop(task, f"Scaling activity initiated by (deployment {self.blue.id})")
        add_event(service, f"(service {service.name}) rolling back to deployment {self.blue.id}.")

    def _finish_rollback(self, service: Any) -> None:
        m: ServiceMotion = service._ecs_motion
        if any(t._ecs_motion.deployment is self.green for t in m.tasks):
            return
        self.rolling_back = False
        self.outcome = "ROLLBACK_SUCCESSFUL"
        records.set_status(self.green._record, "ROLLBACK_SUCCESSFUL")

    # -- what the service deployment says ----------------------------------------------------------

    def describe(self, record: dict[str, Any]) -> None:
        record["lifecycleStage"] = self.stage
        record["lifecycleHookDetails"] = [{k: v for k, v in h.items() if not k.startswith("_")} for h in self.hooks]
        record["targetServiceRevision"].update(requestedProductionTrafficWeight=self.production, requestedTestTrafficWeight=self.test)
        for source in record["sourceServiceRevisions"]:
            source.update(requestedProductionTrafficWeight=100.0 - self.production, requestedTestTrafficWeight=100.0 - self.test)
            source.update(runningTaskCount=self.blue.running_count, pendingTaskCount=self.blue.pending_count)
        record["updatedAt"] = now()


def begin(service: Any, green: Deployment, blue: Deployment | None, pace: Pace) -> None:
    """A deployment UpdateService just started: a release when the strategy shifts traffic and
    there is a live revision to shift it from."""
    strategy = strategy_of(service)
    green._strategy = strategy
    if strategy in TRAFFIC_STRATEGIES and blue is not None and shifted(service):
        green._release = Release(service, green, blue, strategy, pace)


def advance(service: Any, primary: Deployment, desired: int, start: Start, stop: Stop) -> bool:
    """One tick of the release whose green deployment is `primary`, or of one rolling back; False
    when there is none (the rolling scheduler then does the tick's work)."""
    for d in service.deployments:
        release = d._release
        if release is not None and (release.active or release.rolling_back):
            release.advance(service, desired, start, stop)
            return release.green is primary and release.outcome is None
    return False
