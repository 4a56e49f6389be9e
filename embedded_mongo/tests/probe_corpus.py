"""Random nested values for the probes that run in the embedded server's own Python (FIX(o)
and FIX(t)'s tests): stdlib only, so it imports there as well as here."""


def nested_value(rng, special, plain, *, special_below: float, depth: int = 0):
    """A value up to 3 levels deep: a dict or list of further values, or a leaf drawn from
    `special` (factories of values that need converting) or `plain`."""
    roll = rng.random()
    if depth < 3 and roll < 0.2:
        return {
            f"k{i}": nested_value(rng, special, plain, special_below=special_below, depth=depth + 1)
            for i in range(rng.randint(0, 4))
        }
    if depth < 3 and roll < 0.35:
        return [
            nested_value(rng, special, plain, special_below=special_below, depth=depth + 1)
            for _ in range(rng.randint(0, 4))
        ]
    return rng.choice(special if roll < special_below else plain)()
