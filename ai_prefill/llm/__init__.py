"""How the pre-fill calls the model.

`prefill_suggest(images=[...], config=default_model_config(), analysis=..., image_refs=[...], language=...)`
sends the model-ready photos of one item (ai_prefill.images.prepare_model_image; 1 to MAX_IMAGES, each its own
image part at low detail, in the seller's order) with the config's prompt version (prompt.py:
instructions, output schema and parameters from ai_prefill/prompts/) to the provider the config names;
`model_config_for(model=..., prompt_version=...)` builds a config, the rest from settings:

- "openai": the openai SDK, `client.responses.create(text={"format": json_schema})` or, with
  AI_API_STYLE=chat, `client.chat.completions.create(response_format=json_schema)`, against OPENAI_BASE_URL.
  The strict output schema is our own (schema.suggestion_json_schema), with the category as an enum of the
  slugs in the database at call time; the answer is parsed into the Pydantic model and checked again
  (lengths, price, taxonomy). The parameters are those the model accepts (capabilities.py), under each
  API's names. One SDK client per (base URL, key, timeout) is shared by all threads, SDK retries off.
  With AI_STREAM on (the default) the same request goes with `stream=True` (streaming.py): the fields the
  partial JSON completes are published for the sell page (ai_prefill.live), the whole answer is judged as above.
- "demo": no network; from the photo's colours only the colour attribute and a low-confidence category, no text.

Retries live here and only here (suggest.py): rate limits (Retry-After honoured, capped), 5xx,
timeouts and connection errors back off exponentially with jitter, at most MAX_ATTEMPTS in all;
invalid JSON, schema-breaking answers and refusals are retried once, a truncated answer (output_truncated)
once with twice the cap; auth and bad-request errors fail at once. Every attempt becomes an LLMCall row:
tokens incl. cached and reasoning, cost (pricing.py: genai-prices, AI_PRICES; null when unknown), latency,
status, error, raw output, and the request as sent with each image replaced by its `image_refs` entry.
When nothing usable came back, PrefillFailed carries a machine-readable `error_type` and a
`user_message` a seller can read.
"""

from ai_prefill.llm.suggest import MAX_ATTEMPTS, default_model_config, model_config_for, prefill_suggest
from ai_prefill.llm.types import MAX_IMAGES, ModelConfig, PrefillFailed, PrefillResult

__all__ = [
    "MAX_ATTEMPTS",
    "MAX_IMAGES",
    "ModelConfig",
    "PrefillFailed",
    "PrefillResult",
    "default_model_config",
    "model_config_for",
    "prefill_suggest",
]
