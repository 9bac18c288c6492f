"""A small evaluation set the code draws itself (marketplace.demo_photos), so the loop runs on a fresh checkout."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from evals.datasets import dataset_check_name
from evals.models import EvalCase
from marketplace.demo_photos import COLOURS, demo_photo_jpeg
from marketplace.services.photos import make_renditions

DEMO_DATASET = "demo"


@dataclass(frozen=True)
class DemoCase:
    drawing: str  # a kind from marketplace.demo_photos.KINDS
    colour: str  # a name from marketplace.demo_photos.COLOURS
    title: str  # the reference title; also what makes the case unique in its dataset
    category: str
    price_min: int
    price_max: int
    words: tuple[str, ...]


# Price ranges are second-hand prices for the drawn object (as in demo_content.toml); every category appears.
DEMO_CASES = (
    DemoCase("headphones", "red", "Red over-ear headphones", "electronics", 10, 120, ("headphones",)),
    DemoCase("laptop", "silver", "Silver laptop", "electronics", 120, 1400, ("laptop",)),
    DemoCase("camera", "blue", "Camera", "electronics", 30, 400, ("camera",)),
    DemoCase("chair", "oak", "Wooden chair", "furniture", 10, 120, ("chair",)),
    DemoCase("sofa", "teal", "Teal two-seater sofa", "furniture", 80, 900, ("sofa",)),
    DemoCase("tshirt", "red", "Red T-shirt", "clothing", 3, 25, ("shirt",)),
    DemoCase("jeans", "denim", "Blue jeans", "clothing", 8, 60, ("jeans",)),
    DemoCase("bicycle", "blue", "Blue bicycle", "vehicles", 60, 500, ("bicycle",)),
    DemoCase("car", "red", "Red hatchback car", "vehicles", 1500, 12000, ("car",)),
    DemoCase("basketball", "orange", "Basketball", "sports", 8, 40, ("basketball",)),
    DemoCase("dumbbell", "black", "Dumbbell", "sports", 10, 80, ("dumbbell",)),
    DemoCase("plant", "terracotta", "Potted plant in a terracotta pot", "home-garden", 5, 60, ("plant",)),
    DemoCase("mug", "white", "White mug", "home-garden", 3, 20, ("mug",)),
    DemoCase("book_stack", "green", "Stack of books", "books", 8, 40, ("book",)),
    DemoCase("teddy", "brown", "Teddy bear", "toys-kids", 4, 30, ("teddy",)),
    DemoCase("guitar", "oak", "Acoustic guitar", "other", 40, 400, ("guitar",)),
)


def evalset_demo(*, dataset: str = DEMO_DATASET) -> int:
    """Draw the demo cases the dataset does not have yet (running it again adds nothing). Returns how many."""
    dataset_check_name(dataset)
    present = set(EvalCase.objects.filter(dataset=dataset).values_list("expected_title", flat=True))
    added = 0
    for index, demo in enumerate(DEMO_CASES):
        if demo.title in present:
            continue
        jpeg = demo_photo_jpeg(demo.drawing, color=COLOURS[demo.colour], variant=index)
        # Through the same checks and re-encoding as a seller's upload, so the model sees what it would in production.
        renditions = make_renditions(SimpleUploadedFile(f"{demo.drawing}.jpg", jpeg, content_type="image/jpeg"))
        case = EvalCase(
            dataset=dataset,
            expected_category=demo.category,
            expected_price_min=Decimal(demo.price_min),
            expected_price_max=Decimal(demo.price_max),
            title_must_mention=list(demo.words),
            expected_title=demo.title,
            notes=f"Demo case: a drawn {demo.drawing.replace('_', ' ')} (marketplace/demo_photos.py).",
            source=EvalCase.Source.IMPORT,
        )
        case.image.save("case.jpg", renditions.display, save=False)
        try:
            case.save()
        except Exception:
            case.image.delete(save=False)
            raise
        added += 1
    return added
