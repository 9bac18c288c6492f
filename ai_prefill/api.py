"""The analyses API: start one from a photo, then poll it for the suggestion."""

from ninja import File, Router, Status
from ninja.errors import HttpError
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
    response={202: AnalysisCreatedOut, 400: ErrorOut, 429: ErrorOut},
    summary="Start an analysis of a photo",
)
def create_analysis(request, image: File[UploadedFile]):
    """Upload one photo (JPEG, PNG or WebP) as `image`; poll GET /api/analyses/{id} for the suggestion."""
    sent = len(request.FILES.getlist("image"))
    if sent > 1:
        # Refused rather than analysing one of them and silently dropping the rest.
        raise HttpError(
            400,
            f"Please send one photo as `image`; this request has {sent}. An analysis looks at one photo for now: "
            "start one per photo, or add the other photos when you post the listing.",
        )
    analysis = analysis_start(user=request.auth, upload=image, session_key=request.session.session_key or "")
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
