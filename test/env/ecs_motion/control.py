"""The server side: a WSGI middleware in front of moto's app that serialises every request with the
clock (the engine's lock), and answers the layer's control routes under PREFIX, which the AWS
proxy forwards its `/__proxy/ecs/...` routes to (test/env/aws-proxy.ts).

    GET    /settings?account=A          pace and task rules in force for the account
    PUT    /pace?account=A              change pace fields ({"tickMs": 0} stops the clock)
    POST   /rules?account=A             add a task rule; answers {"id": ...}
    DELETE /rules?account=A             remove the account's task rules
    POST   /reset?account=A             defaults again for the account
    POST   /tick?account=A&count=N      advance the account's clock N ticks now
    GET    /history?account=A&cluster=C&service=S[&region=R]
                                        the service's states, one entry per tick that changed one
    GET    /errors                      failures inside the layer (empty when all is well)
    POST   /autoscale?account=A[&region=R]  {"resourceId", "desiredCount", "cause"?}: a scaling as
                                        Application Auto Scaling makes one (autoscaling.py)
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from moto.ecs.models import ecs_backends

from . import autoscaling
from .engine import Engine

PREFIX = "/_ecs_motion"


class Middleware:
    def __init__(self, app: Callable[..., Iterable[bytes]], engine: Engine) -> None:
        self.app = app
        self.engine = engine

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == PREFIX or path.startswith(PREFIX + "/"):
            return self.control(environ, start_response, path[len(PREFIX) :])
        with self.engine.lock:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return [body]

    def control(self, environ: dict[str, Any], start_response: Callable[..., Any], path: str) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length > 0 else b""
            body = json.loads(raw) if raw else None
            status, answer = self.route(method, path, query, body)
        except (ValueError, KeyError) as err:
            status, answer = 400, {"message": str(err)}
        data = json.dumps(answer).encode()
        start_response(f"{status} {'OK' if status < 400 else 'Error'}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        engine = self.engine
        settings = engine.settings
        if (method, path) == ("GET", "/errors"):
            return 200, engine.errors
        account = query.get("account")
        if not account:
            raise ValueError("account is required")
        with engine.lock:
            if (method, path) == ("GET", "/settings"):
                return 200, {"pace": settings.pace(account).to_json(), "rules": [r.to_json() for r in settings.rules(account)]}
            if (method, path) == ("PUT", "/pace"):
                return 200, settings.set_pace(account, body).to_json()
            if (method, path) == ("POST", "/rules"):
                return 201, {"id": settings.add_rule(account, body).id}
            if (method, path) == ("DELETE", "/rules"):
                settings.clear_rules(account)
                return 200, {}
            if (method, path) == ("POST", "/reset"):
                settings.reset(account)
                return 200, {}
            if (method, path) == ("POST", "/tick"):
                count = int(query.get("count", "1"))
                if not 0 <= count <= 10_000:
                    raise ValueError("count must be in [0, 10000]")
                engine.tick(account, count)
                return 200, {"ticks": count}
            if (method, path) == ("POST", "/autoscale"):
                return 200, autoscaling.scale(account, query.get("region", "us-east-1"), body["resourceId"], body["desiredCount"], body.get("cause"))
            if (method, path) == ("GET", "/history"):
                return 200, history(account, query.get("region", "us-east-1"), query["cluster"], query["service"])
        return 404, {"message": f"no route {method} {path}"}


def history(account: str, region: str, cluster: str, service: str) -> list[dict[str, Any]]:
    backend = ecs_backends[account][region]
    found = backend.services.get(f"{cluster.split('/')[-1]}:{service.split('/')[-1]}")
    m = getattr(found, "_ecs_motion", None)
    if m is None:
        raise KeyError(f"no simulated service {service} in cluster {cluster}")
    return list(m.history)
