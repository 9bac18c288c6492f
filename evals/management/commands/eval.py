"""Evaluate a model and prompt version on a dataset; with --compare-*, gate a candidate against the baseline."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from evals.compare import DEFAULT_MAX_DROP, gate_check, verdict_changes
from evals.datasets import evalset_resolve
from evals.management.commands.evalset import USAGE_ERROR
from evals.pricing import pricing_report
from evals.report import describe, json_report, text_report
from evals.runner import DEFAULT_CONCURRENCY, eval_model_config, eval_variant_config, evalrun_execute

REGRESSION = 1


class Command(BaseCommand):
    help = (
        "Run every case of a dataset through the production pre-fill path (photo preprocessing, prompt, "
        "structured output, validation, retries) and print the metrics. The --model/--prompt run is the "
        "BASELINE; --compare-model and/or --compare-prompt add a CANDIDATE run, printed side by side with the "
        "changes and the cases whose verdict changed. Exit status: 0 when done (and the candidate passed the "
        "gate), 1 when the candidate's category_accuracy, schema_valid_rate or attribute_accuracy is below the "
        "baseline's by more than --max-drop, 2 for a usage error (unknown dataset or prompt version, a bad option)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dataset", required=True, help="A dataset name, or a directory with a cases.jsonl (imported once)."
        )
        parser.add_argument("--model", help="The baseline's model; 'demo' runs offline. Or --variant.")
        parser.add_argument(
            "--variant",
            help="Instead of --model/--prompt: the baseline is this variant, exactly as an experiment ships it.",
        )
        parser.add_argument("--prompt", help="The baseline's prompt version (default: the current one).")
        parser.add_argument("--api-style", help="responses or chat (default: AI_API_STYLE), for both runs.")
        parser.add_argument("--compare-model", help="The candidate's model (default: --model).")
        parser.add_argument("--compare-prompt", help="The candidate's prompt version (default: --prompt).")
        parser.add_argument("--effort", help="The baseline's reasoning_effort (a reasoning model's; see README).")
        parser.add_argument("--compare-effort", help="The candidate's reasoning_effort.")
        parser.add_argument(
            "--compare-variant", help="The candidate is this variant, exactly as an experiment ships it."
        )
        parser.add_argument(
            "--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="Cases in flight at once (default 8)."
        )
        parser.add_argument("--json", type=Path, dest="json_path", metavar="FILE", help="Also write the numbers here.")
        parser.add_argument(
            "--max-drop",
            type=float,
            default=DEFAULT_MAX_DROP,
            help="How far (0 to 1) the candidate's gated rates may fall below the baseline's (default 0.02).",
        )

    def handle(self, *args, **options):
        try:
            return self._evaluate(**options)
        except DomainError as error:
            raise CommandError(error.message, returncode=USAGE_ERROR) from None

    def _progress(self, done: int, total: int) -> None:
        # About ten lines per run, so a long run shows it is alive without flooding a CI log.
        if done < total and done % max(total // 10, 1) == 0:
            self.stdout.write(f"  {done}/{total} cases")

    def _evaluate(
        self,
        *,
        dataset: str,
        model: str | None,
        variant: str | None,
        prompt: str | None,
        api_style: str | None,
        compare_model: str | None,
        compare_prompt: str | None,
        effort: str | None,
        compare_effort: str | None,
        compare_variant: str | None,
        concurrency: int,
        json_path: Path | None,
        max_drop: float,
        **options,
    ) -> None:
        # Everything is checked before the first run, so a typo in --compare-* does not cost a baseline run.
        if not 0 <= max_drop <= 1:
            raise CommandError(f"--max-drop is a share from 0 to 1, not {max_drop}.", returncode=USAGE_ERROR)
        if json_path is not None and not json_path.parent.is_dir():
            raise CommandError(f"There is no directory {json_path.parent} for --json.", returncode=USAGE_ERROR)
        if bool(model) == bool(variant):
            raise CommandError("Give the baseline as --model (with --prompt) or as --variant.", returncode=USAGE_ERROR)
        if variant and (prompt or api_style or effort):
            raise CommandError("--variant carries its own prompt version, API style and parameters.",
                               returncode=USAGE_ERROR)  # fmt: skip
        if compare_variant and (compare_model or compare_prompt or compare_effort):
            raise CommandError("--compare-variant names the whole candidate: drop --compare-*.", returncode=USAGE_ERROR)
        efforts = [{"reasoning_effort": value} if value else {} for value in (effort, compare_effort)]
        # (config, variant name) per run: a variant runs exactly as an experiment would ship it.
        if variant:
            configs = [(eval_variant_config(name=variant), variant)]
        else:
            configs = [
                (eval_model_config(model=model, prompt_version=prompt, api_style=api_style, params=efforts[0]), "")
            ]
        if compare_variant:
            configs.append((eval_variant_config(name=compare_variant), compare_variant))
        elif compare_model or compare_prompt or compare_effort:
            base = configs[0][0]
            configs.append(
                (
                    eval_model_config(
                        model=compare_model or base.model,
                        prompt_version=compare_prompt or prompt or (base.prompt_version if variant else None),
                        api_style=api_style or (base.api_style if variant else None),
                        params=efforts[1],
                    ),
                    "",
                )
            )
        dataset = evalset_resolve(name_or_dir=dataset)

        runs = []
        for role, (config, variant_name) in zip(["baseline", "candidate"], configs, strict=False):
            what = role if len(configs) == 2 else "evaluation"
            named = f"variant {variant_name}: " if variant_name else ""
            self.stdout.write(f"Running the {what}: {named}{config.model} / {config.prompt_version} on {dataset!r}...")
            run = evalrun_execute(
                dataset=dataset,
                config=config,
                concurrency=concurrency,
                baseline=runs[0] if runs else None,
                progress=self._progress,
                variant=variant_name,
            )
            self.stdout.write(f"  done: {describe(run)}")
            runs.append(run)

        changes, gate = [], None
        if len(runs) == 2:
            changes = verdict_changes(baseline=runs[0], candidate=runs[1])
            gate = gate_check(baseline=runs[0].metrics, candidate=runs[1].metrics, max_drop=max_drop)
        self.stdout.write("\n" + text_report(runs=runs, changes=changes, gate=gate))
        if pricing := pricing_report(runs):
            self.stdout.write("\n" + pricing)
        if json_path is not None:
            report = json_report(runs=runs, changes=changes, gate=gate)
            json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if gate is not None and not gate.passed:
            raise CommandError(
                "The candidate regressed against the baseline: " + " ".join(gate.failures), returncode=REGRESSION
            )
