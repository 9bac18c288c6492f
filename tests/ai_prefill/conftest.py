import pytest

from ai_prefill.llm.prompt import prompt_cache_clear


@pytest.fixture(autouse=True)
def _fresh_prompt_checks():
    """Each test starts as a new worker process would: no prompt version checked yet (the rows are per test)."""
    prompt_cache_clear()
    yield
    prompt_cache_clear()
