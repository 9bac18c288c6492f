"""The evaluation models now live in evals (evals 0001); their tables stay as they are. State only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('evals', '0001_eval_models_from_feedback'),
        ('feedback', '0002_eval_runs_and_results'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
        migrations.AlterField(
            model_name='annotation',
            name='eval_case',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='evals.evalcase'),
        ),
        migrations.RemoveField(
            model_name='evalresult',
            name='case',
        ),
        migrations.RemoveField(
            model_name='evalresult',
            name='run',
        ),
        migrations.RemoveField(
            model_name='evalrun',
            name='baseline',
        ),
        migrations.DeleteModel(
            name='EvalCase',
        ),
        migrations.DeleteModel(
            name='EvalResult',
        ),
        migrations.DeleteModel(
            name='EvalRun',
        ),
        ]),
    ]
