"""UpdateCall: the body of Update Call (redirect or hang up a live call)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, StrictStr

from bandwidth.models._constraints import Credential, Tag
from bandwidth.models._wire import WireModel
from bandwidth.models.call_state_enum import CallStateEnum
from bandwidth.models.redirect_method_enum import RedirectMethodEnum


class UpdateCall(WireModel):
    """Redirect a live call to new BXML (``active``) or end it (``completed``)."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "state",
            "redirect_url",
            "redirect_method",
            "username",
            "password",
            "redirect_fallback_url",
            "redirect_fallback_method",
            "fallback_username",
            "fallback_password",
            "tag",
        }
    )

    state: CallStateEnum | None = CallStateEnum.ACTIVE
    redirect_url: StrictStr | None = Field(default=None, alias="redirectUrl")
    redirect_method: RedirectMethodEnum | None = Field(
        default=RedirectMethodEnum.POST, alias="redirectMethod"
    )
    username: Credential | None = None
    password: Credential | None = None
    redirect_fallback_url: StrictStr | None = Field(default=None, alias="redirectFallbackUrl")
    redirect_fallback_method: RedirectMethodEnum | None = Field(
        default=RedirectMethodEnum.POST, alias="redirectFallbackMethod"
    )
    fallback_username: Credential | None = Field(default=None, alias="fallbackUsername")
    fallback_password: Credential | None = Field(default=None, alias="fallbackPassword")
    tag: Tag | None = None
