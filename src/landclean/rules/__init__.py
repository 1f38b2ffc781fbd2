"""The rule catalogue, its runner, and the classification of parcels into groups."""
