"""Textbook queueing formulas (Erlang B and C, M/M/c waits) the reduced validation configs must reproduce.

In the library rather than the tests so notebooks and benchmarks check the model the same way.
"""

from __future__ import annotations


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/M/c/c with offered load ``load`` erlangs (stable recursion)."""
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in M/M/c (requires load < servers)."""
    if load >= servers:
        raise ValueError("unstable: load must be below the number of servers")
    blocking = erlang_b(servers, load)
    return servers * blocking / (servers - load * (1.0 - blocking))


def mmc_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean time in queue of M/M/c: C(c, a) / (c mu - lambda)."""
    load = arrival_rate / service_rate
    return erlang_c(servers, load) / (servers * service_rate - arrival_rate)


def mmc_mean_in_system(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean number present (waiting + served), by Little's law from the mean wait."""
    return arrival_rate * (mmc_mean_wait(servers, arrival_rate, service_rate) + 1.0 / service_rate)
