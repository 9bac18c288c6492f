"""Production monitoring of the AI pre-fill: staff dashboard, Prometheus metrics, health, alerts, logs, traces."""
