"""What the API answers, as pydantic models: FastAPI checks every answer against them and
describes them in the OpenAPI schema. Field names are the code's (English); texts, state
labels and messages are Swedish, as the product writes them."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from tracker.services.outbox import DeliveryStatus


class Problem(BaseModel):
    """Every refusal: 401 (no valid key), 404 (nothing there that the key may read), 422 (a
    parameter out of bounds) and the rest."""

    detail: str = Field(description="Vad som är fel, på svenska.")


class Paged(BaseModel):
    next: str | None = Field(
        description="Adressen till nästa sida (samma filter), eller null på sista sidan."
    )
    limit: int = Field(description="Det största antal rader en sida har med det här anropet.")


class AreaOut(BaseModel):
    """An utvecklingsområde."""

    id: int
    title: str
    section: str = Field(description="Rubriken området står under, eller tom.")
    position: int = Field(description="Områdets plats i planen.")


class PlanOut(BaseModel):
    """An åtgärdsplan with its åtgärder counted, as `tracker plan list` counts them."""

    id: int
    title: str
    forvaltning: str
    namnd: str
    dnr: str
    ort: str
    decision_on: date | None = Field(description="Nämndens beslut om planen.")
    decision_paragraph: str
    report_months: list[int] = Field(description="Månaderna (1–12) då återrapporter lämnas.")
    next_report_on: date | None
    created_at: datetime
    actions: int = Field(description="Antal åtgärder.")
    by_state: dict[str, int] = Field(description="Antal åtgärder per läge (lägets id).")
    overdue: int = Field(description="Öppna åtgärder vars klart-datum har passerat.")
    late: int = Field(
        description=(
            "Försenade åtgärder: klart-datumet passerat utan att åtgärden är klar, eller "
            "utvärderingsdatumet utan att den är utvärderad (webbens och tracker plan lists "
            "Försenade)."
        )
    )


class PlanDetail(PlanOut):
    background: str
    signatory_name: str
    signatory_title: str
    areas: list[AreaOut]


class PlanPage(Paged):
    items: list[PlanOut]


class OwnerOut(BaseModel):
    """An åtgärd's ansvarig."""

    name: str
    email: str


class ActionOut(BaseModel):
    """An åtgärd as it is now."""

    id: int
    plan_id: int
    forvaltning: str
    area: AreaOut
    position: int = Field(description="Åtgärdens plats i sitt område.")
    text: str
    workflow: str = Field(description="Arbetsflödet, t.ex. atgard.")
    state: str = Field(description="Lägets id, t.ex. pagar.")
    state_label: str = Field(description="Läget på svenska, t.ex. Pågår.")
    schedule: str = Field(
        description="pa_ratt_spar, forsenad eller utvardering_forsenad, räknat i dag."
    )
    schedule_label: str
    late: bool = Field(description="Försenad eller utvärdering försenad i dag.")
    tidsplan: str = Field(description="Tidsplanen som den skrevs.")
    due_on: date | None = Field(description="Klart till.")
    original_due_on: date | None = Field(description="Klart-datumet före en ny tidplan.")
    evaluate_on: date | None = Field(description="Utvärderas.")
    next_report_on: date | None
    owner: OwnerOut | None
    progress_note: str = Field(description="Senaste processläget, som den ansvariga skrev det.")
    progress_at: datetime | None = Field(description="När processläget skrevs.")
    expected_effect: str
    follow_up: str
    target_group: str
    budget_sek: int | None
    version: int = Field(description="Ökar vid varje ändring av åtgärden.")
    updated_at: datetime


class ActionPage(Paged):
    items: list[ActionOut]


class AnswerOut(BaseModel):
    label: str = Field(description="Frågan som den ställdes.")
    value: str


class EventOut(BaseModel):
    """One row of an åtgärd's history."""

    id: int
    at: datetime
    actor: str = Field(description="Vem, som historiken visar det.")
    trigger: str = Field(description="Händelsens id, t.ex. starta eller processlage.")
    label: str = Field(description="Händelsen på svenska.")
    from_state: str | None
    from_label: str | None
    to_state: str | None
    to_label: str | None
    text: str
    answers: list[AnswerOut] = Field(description="Svaren på övergångens frågor, om den har några.")


class EventPage(Paged):
    items: list[EventOut]


class ReportFileOut(BaseModel):
    """An archived document of an issued återrapport."""

    format: str = Field(description="pdf, docx eller html.")
    filename: str
    content_type: str
    size: int = Field(description="Storlek i byte.")
    sha256: str = Field(description="SHA-256 av filens byte, sparad när rapporten utfärdades.")
    url: str = Field(description="Adressen att hämta filen på.")


class ReportOut(BaseModel):
    """An issued återrapport (drafts are not public and never shown)."""

    id: int
    plan_id: int
    plan_title: str
    number: int | None
    title: str
    state: str = Field(
        description="Arbetsflödets läge: utkast, godkand eller skickad (skickad: breven till "
        "nämnden är lagda i utkorgen, inte nödvändigtvis levererade; se delivery_status)."
    )
    state_label: str = Field(
        description="Läget på svenska som webben visar det: Godkänd, Godkänd, i utkorgen, "
        "Godkänd, utskicket misslyckades eller Skickad (först när alla brev har gått)."
    )
    as_of: date = Field(description="Läget per.")
    data_until: datetime
    approved_by: str
    approved_at: datetime | None
    sent_at: datetime | None = Field(
        description="När breven till nämnden lades i utkorgen (läget skickad), eller null."
    )
    delivery_status: DeliveryStatus | None = Field(
        description="Vad utkorgen har gjort med breven till nämnden: waiting (något brev väntar "
        "på att skickas), failed (något brev kunde inte skickas och skickas inte utan att "
        "någon gör det igen), delivered (alla brev har lämnats till e-postservern); null "
        "innan breven lagts i utkorgen."
    )
    delivered_at: datetime | None = Field(
        description="När det sista brevet till nämnden gick, eller null tills alla har gått."
    )
    files: list[ReportFileOut]


class ReportPage(Paged):
    items: list[ReportOut]


class ForvaltningCountsOut(BaseModel):
    forvaltning: str
    by_state: dict[str, int] = Field(description="Antal per läge (lägets svenska namn).")
    open: int
    late: int
    plans: int
    total: int


class OpenItemOut(BaseModel):
    action_id: int
    text: str
    kind: str = Field(
        description="Arbetsflödets namn: Åtgärd, Kontroll, Protokollsbeslut, SBS-insats."
    )
    plan_id: int
    plan_title: str
    forvaltning: str
    owner: str
    state_label: str
    since: date | None = Field(description="Dagen den först registrerades.")
    due_on: date | None
    late: bool = Field(description="Försenad eller utvärdering försenad i dag.")
    schedule: str = Field(
        description="pa_ratt_spar, forsenad eller utvardering_forsenad, räknat i dag."
    )
    schedule_label: str


class AuditLineOut(BaseModel):
    audit_id: int
    title: str
    auditor: str
    report_on: date | None
    forvaltning: str
    by_status: dict[str, int]
    late: int
    total: int


class OverviewOut(BaseModel):
    """The kommun's (or one förvaltning's) overview of what is not yet carried out: the data
    of the page /kommunen."""

    today: date
    forvaltning: str | None = Field(description="Förvaltningen, eller null för hela kommunen.")
    states: list[str]
    forvaltningar: list[ForvaltningCountsOut]
    open_total: int
    oldest: list[OpenItemOut] = Field(description="De äldsta ej verkställda, äldst först.")
    audits: list[AuditLineOut]
    answer_labels: list[str]
