"""Shared by the Python benches: the mean seconds of `f` over `reps` calls after one warm-up."""
import time


def timed(f, reps=3):
    f()
    t = time.perf_counter()
    for _ in range(reps):
        f()
    return (time.perf_counter() - t) / reps
