"""Starts moto's server tied to the launcher's life, so that no moto outlives a killed test run, with
the ecs_motion layer (ECS's behaviour over time, docs/local-aws.md) installed in front of it.

prctl(PR_SET_PDEATHSIG) makes the kernel signal us when the parent exits, even by SIGKILL; the pid
check closes the race where the parent died before the call.
"""
import argparse
import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1

parent = os.environ.get("ECS_OPERATOR_PARENT_PID")
if parent is not None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != int(parent):
        sys.exit(1)

# Imported after the lifeline is in place.
from werkzeug.serving import run_simple  # noqa: E402

from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app  # noqa: E402

import ecs_motion  # noqa: E402  (this file's directory is on sys.path)

parser = argparse.ArgumentParser()
parser.add_argument("-H", "--host", default="127.0.0.1")
parser.add_argument("-p", "--port", type=int, required=True)
args = parser.parse_args()
os.environ.setdefault("MOTO_PORT", str(args.port))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

engine = ecs_motion.install()
engine.start()
app = DomainDispatcherApplication(create_backend_app)
run_simple(args.host, args.port, ecs_motion.Middleware(app, engine), threaded=True, request_handler=MotoRequestHandler)
