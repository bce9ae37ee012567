"""The `answer` job: deliver a call's answer webhook, then run the recording verbs of the BXML it returns."""

from __future__ import annotations

from callvault.calls.bxml import BxmlError
from callvault.domain.records import Job
from callvault.jobs.runner import GiveUp, JobHandler
from callvault.jobs.webhook_job import deliver_or_give_up
from callvault.services import live_calls
from callvault.services.container import Services


def make_answer_handler(services: Services) -> JobHandler:
    def handle(job: Job) -> None:
        answer = live_calls.AnswerJob.from_payload(job.payload)
        if not live_calls.call_is_active(services, answer.account_id, answer.call_id):
            return
        document = deliver_or_give_up(
            services.store, services.callback_policy, job, answer.request, "answer"
        ).strip()
        if not document:
            return
        try:
            live_calls.execute_answer_bxml(services, answer, document)
        except BxmlError as exc:
            raise GiveUp(f"the answer's BXML was refused: {exc}") from None

    return handle
