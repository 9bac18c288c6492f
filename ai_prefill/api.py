"""The analyses API: start one from an item's photos, then poll it for the suggestion."""

from ninja import File, Router, Status
from ninja.files import UploadedFile

from ai_prefill.schemas import AnalysisCreatedOut, AnalysisOut, ErrorOut
from ai_prefill.selectors import analysis_get_visible
from ai_prefill.services import analysis_start
from marketplace.auth import api_auth

router = Router(tags=["analyses"])


def _signed_out(request):
    # Strangers get the same 404 whether signed in or not: an analysis id never reveals that it exists.
    return request.user


@router.post(
    "/analyses",
    auth=api_auth,
    response={202: AnalysisCreatedOut, 400: ErrorOut, 404: ErrorOut, 429: ErrorOut},
    summary="Start an analysis of an item's photos",
)
def create_analysis(request, image: File[list[UploadedFile]]):
    """Upload 1 to 8 photos of one item (JPEG, PNG or WebP), each as an `image` part, in the order the model should
    see them (the first is the main one); poll GET /api/analyses/{id} for the suggestion."""
    analysis = analysis_start(user=request.auth, uploads=image, session_key=request.session.session_key or "")
    return Status(202, analysis)


@router.get(
    "/analyses/{analysis_id}",
    auth=[*api_auth, _signed_out],
    response={200: AnalysisOut, 404: ErrorOut},
    summary="Get an analysis",
)
def get_analysis(request, analysis_id: str):
    """The owner's (or staff's) analysis: `suggestion` once it succeeded, `error` when the seller should not wait."""
    return analysis_get_visible(analysis_id=analysis_id, user=request.auth)
