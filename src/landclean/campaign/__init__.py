"""Campaign progress: state per commune, metrics, snapshots, tasks and reports."""
