"""ARM what-if results overlaid on a snapshot: the estate as a deployment would leave it."""
