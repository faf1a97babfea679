"""The clock: which services and tasks are in motion, and a thread that ticks each account at its pace.

One re-entrant lock guards every change to moto's models, whether it comes from a request (the
server holds it for each request, control.py) or from a tick, so a response never sees half a tick.
Only services and tasks with work left are ticked: a fleet in steady state costs nothing.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from typing import Any

from . import scheduler, tasks
from .settings import Settings


class Engine:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.settings = Settings()
        self._serial = 0
        self._services: dict[int, Any] = {}  # serial -> moto Service with work left, in creation order
        self._tasks: dict[str, Any] = {}  # task ARN -> RunTask/StartTask task not yet STOPPED
        self._due: dict[str, float] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.errors: list[str] = []

    # -- what is in motion -------------------------------------------------------------------

    def adopt_service(self, service: Any) -> None:
        self._serial += 1
        scheduler.adopt(service, self._serial)
        self.wake(service)

    def wake(self, service: Any) -> None:
        m = getattr(service, "_ecs_motion", None)
        if m is not None:
            self._services[m.serial] = service

    def wake_cluster(self, backend: Any, cluster_name: str) -> None:
        for service in backend.services.values():
            if service.cluster_name == cluster_name and service.status == "ACTIVE":
                self.wake(service)

    def adopt_task(self, task: Any) -> None:
        self._tasks[task.task_arn] = task

    def clear(self) -> None:
        """Forgets everything in motion (after moto's backends were reset)."""
        with self.lock:
            self._services.clear()
            self._tasks.clear()
            self._due.clear()

    def accounts(self) -> set[str]:
        return {s._account_id for s in self._services.values()} | {t._account_id for t in self._tasks.values()}

    # -- ticking -------------------------------------------------------------------------------

    def tick(self, account: str, count: int = 1) -> None:
        with self.lock:
            for _ in range(count):
                self._tick_once(account)

    def _tick_once(self, account: str) -> None:
        pace = self.settings.pace(account)
        for serial, service in list(self._services.items()):
            if service._account_id != account:
                continue
            try:
                if not scheduler.step(service, pace, self.settings):
                    del self._services[serial]
            except Exception:  # noqa: BLE001 - one broken service must not stop the clock for all
                del self._services[serial]
                self._report(f"service {service.arn}")
        touched: dict[tuple[int, str], Any] = {}
        for arn, task in list(self._tasks.items()):
            if task._account_id != account:
                continue
            try:
                tasks.advance(task, pace)
            except Exception:  # noqa: BLE001
                self._report(f"task {arn}")
                task.last_status = "STOPPED"
            touched[(id(task._backend), task.cluster_name)] = task._backend
            if task.last_status == "STOPPED":
                del self._tasks[arn]
        for (_, cluster_name), backend in touched.items():
            scheduler.recount_cluster(backend, cluster_name)

    def _report(self, what: str) -> None:
        message = f"ecs_motion: {what} failed and is no longer simulated:\n{traceback.format_exc()}"
        self.errors.append(message)
        sys.stderr.write(message)
        sys.stderr.flush()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ecs-motion-clock", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            wait = 0.05
            with self.lock:
                now = time.monotonic()
                for account in sorted(self.accounts()):
                    period = self.settings.pace(account).tick_ms / 1000
                    if period <= 0:
                        self._due.pop(account, None)
                        continue
                    due = self._due.setdefault(account, now + period)
                    if now >= due:
                        self._tick_once(account)
                        # After a stall the clock resumes rather than catching up in a burst.
                        due = max(due + period, now)
                        self._due[account] = due
                    wait = min(wait, due - now)
                for account in set(self._due) - self.accounts():
                    del self._due[account]
            self._stop.wait(max(0.002, wait))
