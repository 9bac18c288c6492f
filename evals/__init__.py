"""Evaluation sets and runs: is a prompt or model better, on cases whose answer we know, before sellers see it?

- models.py: cases, runs and results; services.py: cases made from a posted analysis.
- datasets.py: DIR/cases.jsonl import and export, cases from posted production listings.
- demo.py: a small set the code draws itself.
- runner.py: every case through the production path (prepare_model_image -> prefill_suggest), in parallel.
- metrics.py: per-case verdicts and per-run numbers; compare.py: the regression gate and changed verdicts.
- report.py: the table and the JSON. The commands are `manage.py evalset` and `manage.py eval`.
"""
