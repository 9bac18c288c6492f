from ai_prefill.confidence import suggestion_split


def v4_suggestion(**confidence):
    levels = {"title": "high", "description": "high", "category": "high", "price": "medium", "condition": "medium"}
    levels.update({"brand": "high", "colour": "medium"}, **confidence)
    return {
        "title": "Wired headphones",
        "description": "Used a few times.",
        "category": "electronics",
        "category_candidates": ["electronics", "toys-kids", "other"],
        "price": "15.00",
        "condition": "good",
        "attributes": {"brand": "Sony", "model": None, "colour": "black"},
        "confidence": levels,
        "language": "en",
    }


def test_a_low_confidence_category_is_offered_with_its_candidates_not_filled(settings):
    settings.AI_FILL_THRESHOLD = "medium"
    split = suggestion_split(v4_suggestion(category="low"))

    assert "category" not in split.filled
    assert split.choices["category"] == ["electronics", "toys-kids", "other"]


def test_values_at_or_above_the_threshold_fill_and_not_visible_ones_stay_empty(settings):
    settings.AI_FILL_THRESHOLD = "medium"
    settings.AI_FILL_THRESHOLDS = {"brand": "high"}
    split = suggestion_split(v4_suggestion(brand="medium"))

    assert split.filled == {
        "title": "Wired headphones",
        "description": "Used a few times.",
        "category": "electronics",
        "price": "15.00",
        "condition": "good",
        "colour": "black",
    }
    assert split.choices == {"brand": ["Sony"]}
    assert split.not_visible == ("model",)


def test_a_suggestion_from_before_confidence_fills_every_field():
    old = {"title": "Lamp", "description": "", "category": "home-garden", "price": "10.00", "condition": "good"}

    split = suggestion_split(old)

    assert split.filled == {"title": "Lamp", "category": "home-garden", "price": "10.00", "condition": "good"}
    assert split.choices == {}
