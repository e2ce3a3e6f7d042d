"""The simulator: the real core on a virtual clock, with simulated callers and agents."""
