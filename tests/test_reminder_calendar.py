"""Sixty days, one sweep and one dispatch every morning: exactly the expected e-mails.

1 June to 30 July 2018: weekends, nationaldagen (Wed 6 June) and midsommar (afton Fri 22 June,
dagen Sat 23 June). Everything runs through the real sweep, outbox and SMTP server.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlmodel import col, select

from tests.support import builders as b
from tests.support.smtp import SmtpServer
from tracker.app import App
from tracker.models import Person, SentReminder
from tracker.services import actions
from tracker.services.dispatch import send_outbox
from tracker.services.reminders import send_reminders

START, END = date(2018, 6, 1), date(2018, 7, 30)

LATE = "Försenade"
SOON = "Klart-datum närmar sig"
EVALUATION = "Utvärdering närmar sig"
CALL = "Inför återrapporten"
MISSED = "Inte uppdaterat inför återrapporten"
ESCALATED = "Försenad mer än 30 dagar"
OTHERS = "Övriga försenade åtgärder i dina planer"


def test_sixty_days_give_exactly_the_expected_emails(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    t0 = b.at(date(2018, 5, 2))
    mail = b.with_smtp(app, smtp_server.port)
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=t0)
    bo = b.person(app, "bo.ek@pitea.example", "Bo Ek", now=t0)
    # Återrapport Sunday 15 July (no sammanträdesplan): the draft is made 14 days before,
    # Sunday 1 July, so owners update by Friday 29 June; they are called two weeks before
    # that, Friday 15 June, and those who have not updated are reminded on Monday 2 July.
    _, area = b.plan(app, now=t0, next_report_on=date(2018, 7, 15))

    def add(text: str, owner: Person, **kw: object) -> int:
        return b.action(app, area, text, now=t0, owner=owner, **kw).id  # type: ignore[arg-type, return-value]

    # Due Fri 6 July: 14 days before is midsommarafton -> Thu 21 June; 3 days before is
    # Tue 3 July; overdue from Sat 7 July -> Mon 9 July, then weekly.
    a1 = add("Ta fram upplägg för ekonomiskt stöd", anna, due_on=date(2018, 7, 6))
    # Due Sun 10 June: the 14-day reminder (27 May) was missed and goes with the first
    # sweep; 3 days before is Thu 7 June; overdue from Mon 11 June; finished on 20 June.
    a2 = add("Utbilda rektorer i budget", anna, state="ej_paborjat", due_on=date(2018, 6, 10))
    # Overdue since 21 May: reminded at the first sweep, then weekly; the week that ends on
    # midsommarafton ends on Thursday 21 June instead. 30 days late on Tue 19 June: the chef.
    a3 = add("Översyn av lokaler", bo, due_on=date(2018, 5, 20))
    # Klar, evaluated 20 June: 14 days before is nationaldagen -> Tue 5 June.
    a4 = add("Ny rutin för inköp", bo, state="klar", evaluate_on=date(2018, 6, 20))
    # Nothing due before the report call; never updated.
    a5 = add("Långsiktig lokalplan", anna, due_on=date(2018, 12, 31))

    expected: dict[date, dict[str, dict[str, tuple[int, ...]]]] = {
        date(2018, 6, 1): {anna.email: {SOON: (a2,)}, bo.email: {LATE: (a3,)}},
        date(2018, 6, 5): {bo.email: {LATE: (a3,), EVALUATION: (a4,)}},
        date(2018, 6, 7): {anna.email: {SOON: (a2,)}},
        date(2018, 6, 8): {bo.email: {LATE: (a3,)}},
        date(2018, 6, 11): {anna.email: {LATE: (a2,)}},
        date(2018, 6, 15): {anna.email: {LATE: (a2,), CALL: (a1, a5)}, bo.email: {LATE: (a3,)}},
        date(2018, 6, 18): {anna.email: {LATE: (a2,)}},
        date(2018, 6, 19): {chef.email: {ESCALATED: (a3,), OTHERS: (a2,)}},
        date(2018, 6, 21): {anna.email: {SOON: (a1,)}, bo.email: {LATE: (a3,)}},
        date(2018, 6, 28): {bo.email: {LATE: (a3,)}},
        # Bo's late åtgärd was not updated either; being late, it is listed as such.
        date(2018, 7, 2): {anna.email: {MISSED: (a1, a5)}, bo.email: {LATE: (a3,)}},
        date(2018, 7, 3): {anna.email: {SOON: (a1,)}},
        date(2018, 7, 5): {bo.email: {LATE: (a3,)}},
        date(2018, 7, 9): {anna.email: {LATE: (a1,)}},
        date(2018, 7, 12): {bo.email: {LATE: (a3,)}},
        date(2018, 7, 16): {anna.email: {LATE: (a1,)}},
        date(2018, 7, 19): {bo.email: {LATE: (a3,)}},
        date(2018, 7, 23): {anna.email: {LATE: (a1,)}},
        date(2018, 7, 26): {bo.email: {LATE: (a3,)}},
        date(2018, 7, 30): {anna.email: {LATE: (a1,)}},
    }

    planned: dict[date, dict[str, dict[str, tuple[int, ...]]]] = {}
    delivered: dict[date, list[str]] = defaultdict(list)
    day = START
    while day <= END:
        now = b.at(day)
        result = send_reminders(mail, now=now)
        # A restart and rerun later the same morning changes nothing.
        assert send_reminders(mail, now=now + timedelta(minutes=30)).digests == []
        if result.digests:
            planned[day] = {d.to: dict(d.listed) for d in result.digests}
        before = len(smtp_server.received)
        send_outbox(mail, now=now + timedelta(minutes=1))
        for msg in smtp_server.messages()[before:]:
            delivered[day].append(str(msg["To"]))
            text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            for ids in planned[day][str(msg["To"])].values():
                assert all(f"[{i}]" in text for i in ids)
        if day == date(2018, 6, 20):
            # Anna finishes a2 at lunch.
            with app.transaction() as s:
                noon = now + timedelta(hours=5)
                actions.move(s, app.registry, a2, "starta", anna, now=noon)
                actions.move(s, app.registry, a2, "slutfor", anna, now=noon, text="Klart.")
        day += timedelta(days=1)

    assert planned == expected
    assert {d: sorted(to) for d, to in delivered.items()} == {
        d: sorted(by_to) for d, by_to in expected.items()
    }
    # Nothing on a closed day, and a3's weekly reminder (dates as recorded) as described.
    closed = {date(2018, 6, 6), date(2018, 6, 22), date(2018, 6, 23)}
    assert not closed & set(delivered)
    assert all(d.weekday() < 5 for d in delivered)
    with app.transaction() as s:
        a3_days = s.exec(
            select(col(SentReminder.local_date))
            .where(SentReminder.action_id == a3, SentReminder.timer_id == "forsenad")
            .order_by(col(SentReminder.local_date))
        ).all()
    assert a3_days == [
        date(2018, 6, 1),
        date(2018, 6, 8),
        date(2018, 6, 15),
        date(2018, 6, 21),
        date(2018, 6, 28),
        date(2018, 7, 5),
        date(2018, 7, 12),
        date(2018, 7, 19),
        date(2018, 7, 26),
    ]
