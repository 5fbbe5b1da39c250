"Helpers shared by the benchmarks of tests/bench."
import resource


def max_rss_mb():
    "Peak resident memory of this process, in MiB."
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
