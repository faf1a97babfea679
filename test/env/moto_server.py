"""Starts moto's server tied to the launcher's life, so that no moto outlives a killed test run.

prctl(PR_SET_PDEATHSIG) makes the kernel signal us when the parent exits, even by SIGKILL; the pid
check closes the race where the parent died before the call.
"""
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

from moto.server import main  # noqa: E402  (imported after the lifeline is in place)

main(sys.argv[1:])
