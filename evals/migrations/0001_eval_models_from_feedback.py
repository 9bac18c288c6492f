"""The evaluation models move here from feedback. Their tables keep their names (feedback_evalcase, ...):
this only tells Django's state where they live now, and moves their content types (so staff permissions and
admin history follow). No row is copied, none is lost."""

import django.db.models.deletion
from django.db import migrations, models


MODELS = ("evalcase", "evalrun", "evalresult")


def _move_content_types(apps, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(ContentType.objects.filter(app_label=target, model__in=MODELS).values_list("model", flat=True))
    ContentType.objects.filter(app_label=source, model__in=set(MODELS) - taken).update(app_label=target)


def _content_types_to_evals(apps, schema_editor):
    _move_content_types(apps, source="feedback", target="evals")


def _content_types_to_feedback(apps, schema_editor):
    _move_content_types(apps, source="evals", target="feedback")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('ai_prefill', '0005_prompt_versions_variants_experiments'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('feedback', '0002_eval_runs_and_results'),
    ]

    operations = [
        migrations.RunPython(_content_types_to_evals, _content_types_to_feedback),
        migrations.SeparateDatabaseAndState(state_operations=[
        migrations.CreateModel(
            name='EvalCase',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('dataset', models.SlugField(default='default')),
                ('image', models.ImageField(upload_to='eval/%Y/%m/')),
                ('expected_category', models.SlugField()),
                ('expected_price_min', models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True)),
                ('expected_price_max', models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True)),
                ('title_must_mention', models.JSONField(blank=True, default=list)),
                ('expected_title', models.CharField(blank=True, max_length=200)),
                ('expected_description', models.TextField(blank=True)),
                ('expected_condition', models.CharField(blank=True, max_length=16)),
                ('notes', models.TextField(blank=True)),
                ('source', models.CharField(choices=[('correction', "Seller's posted values"), ('annotation', 'Staff annotation'), ('import', 'Import')], max_length=12)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('source_analysis', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='eval_cases', to='ai_prefill.analysis')),
            ],
            options={
                'verbose_name': 'evaluation case',
                'db_table': 'feedback_evalcase',
                'ordering': ['dataset', '-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='EvalRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('dataset', models.SlugField()),
                ('provider', models.CharField(max_length=20)),
                ('model', models.CharField(max_length=100)),
                ('api_style', models.CharField(max_length=20)),
                ('prompt_version', models.CharField(max_length=50)),
                ('prompt_hash', models.CharField(blank=True, max_length=64)),
                ('params', models.JSONField(blank=True, default=dict)),
                ('concurrency', models.PositiveSmallIntegerField(default=8)),
                ('status', models.CharField(choices=[('running', 'Running'), ('finished', 'Finished')], default='running', max_length=10)),
                ('metrics', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('baseline', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='candidates', to='evals.evalrun')),
            ],
            options={
                'verbose_name': 'evaluation run',
                'db_table': 'feedback_evalrun',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='EvalResult',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('expected', models.JSONField(default=dict)),
                ('produced', models.JSONField(blank=True, null=True)),
                ('error_type', models.CharField(blank=True, max_length=40)),
                ('error_message', models.TextField(blank=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('schema_valid', models.BooleanField()),
                ('category_correct', models.BooleanField()),
                ('price_in_range', models.BooleanField(blank=True, null=True)),
                ('price_abs_pct_error', models.FloatField(blank=True, null=True)),
                ('title_mentions', models.BooleanField(blank=True, null=True)),
                ('tone_flagged', models.BooleanField(blank=True, null=True)),
                ('tone_words', models.JSONField(blank=True, default=list)),
                ('latency_ms', models.PositiveIntegerField(default=0)),
                ('input_tokens', models.PositiveIntegerField(default=0)),
                ('output_tokens', models.PositiveIntegerField(default=0)),
                ('cost', models.DecimalField(decimal_places=6, default=0, max_digits=12)),
                ('llm_call_ids', models.JSONField(blank=True, default=list)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='results', to='evals.evalcase')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='results', to='evals.evalrun')),
            ],
            options={
                'verbose_name': 'evaluation result',
                'db_table': 'feedback_evalresult',
                'ordering': ['run', 'case_id', 'id'],
                'constraints': [models.UniqueConstraint(fields=('run', 'case'), name='one_result_per_case_and_run')],
            },
        ),
        ]),
    ]
