"""What every app shares and no app owns: errors, request context, probes, metrics, tracing, admin mixins."""
