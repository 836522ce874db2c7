"""Shared pieces of the hypothesis state machines that drive the oracle and redpy.

`DifferentialMachine` holds the two connections (`o`, the oracle; `m`, redpy) and
`same(*args)`, which sends one request to both and asserts equal raw replies; `run`
points a machine class at the two servers and runs it with the suite's settings
(REDPY_STATE_EXAMPLES examples).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine

EXAMPLES = int(os.environ.get("REDPY_STATE_EXAMPLES", "40"))


def as_bytes(v) -> bytes:
    return v if isinstance(v, bytes) else str(v).encode()


class DifferentialMachine(RuleBasedStateMachine):
    oracle_port = 0
    redpy_port = 0

    def same(self, *args) -> bytes:
        args = [as_bytes(a) for a in args]
        want, got = self.o.call(*args), self.m.call(*args)
        assert got == want, f"{args!r}: redpy {got!r} != redis {want!r}"
        return got


def run(machine_cls, oracle, redpy_server, steps: int = 40) -> None:
    machine_cls.oracle_port = oracle.port
    machine_cls.redpy_port = redpy_server.port
    case = machine_cls.TestCase
    case.settings = settings(max_examples=EXAMPLES, stateful_step_count=steps, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])
    case().runTest()
