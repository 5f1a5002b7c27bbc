from brokerage.extensions import db
from tests.support import csrf_token, post_form


def _outcome(app, meeting_id, participant_id):
    from brokerage.meetings.models import MeetingOutcome
    with app.app_context():
        o = db.session.scalar(db.select(MeetingOutcome).filter_by(meeting_id=meeting_id, participant_id=participant_id))
        return o and (o.rating, o.follow_up, o.comment)


def test_rate_then_report_follow_up_then_edit(app, client, auth, build):
    event = build.past_event()
    paris = build.participant(event, "claire@paris.example", organisation="Lumen Optics SAS")
    tokyo = build.participant(event, "kenji@tokyo.example", "JP", "Asia/Tokyo", organisation="Kansai Photonics")
    meeting = build.request(event, paris, tokyo)
    auth.login("claire@paris.example")
    page = client.get("/events/past-2026/outcomes").get_data(as_text=True)
    assert "Kansai Photonics" in page and "not rated" in page
    assert "Europe/Paris (UTC+01:00)" in page  # the screen names whose clock it shows
    assert "Tue 10 Mar 2026, 15:00" in page  # 14:00 UTC in Paris

    url = f"/events/past-2026/outcomes/{meeting}"
    response = post_form(client, url, {"rating": "cooperation_possible", "follow_up": "", "comment": "Promising sensor fit"})
    assert response.status_code == 302
    assert _outcome(app, meeting, paris) == ("cooperation_possible", None, "Promising sensor fit")
    assert "Cooperation possible" in client.get("/events/past-2026/outcomes").get_data(as_text=True)

    # Weeks later: the follow-up, on the same form, which shows what was saved.
    form = client.get(url).get_data(as_text=True)
    assert "Promising sensor fit" in form and 'selected value="cooperation_possible"' in form
    post_form(client, url, {"rating": "cooperation_possible", "follow_up": "agreement", "comment": "NDA signed"})
    assert _outcome(app, meeting, paris) == ("cooperation_possible", "agreement", "NDA signed")
    page = client.get("/events/past-2026/outcomes").get_data(as_text=True)
    assert "Cooperation agreement reached" in page
    # Still one outcome per participant and meeting; the other side's is their own.
    from brokerage.meetings.models import MeetingOutcome
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(MeetingOutcome)) == 1
    assert _outcome(app, meeting, tokyo) is None
    # The organisers read the comment in the impact report, as text.
    post_form(client, url, {"rating": "cooperation_possible", "follow_up": "agreement", "comment": "<b>NDA</b> signed"})
    auth.logout()
    auth.login("organiser@een.example")
    report = client.get("/organise/past-2026/impact").get_data(as_text=True)
    assert "&lt;b&gt;NDA&lt;/b&gt; signed" in report and "Lumen Optics SAS" in report


def test_bad_values_are_refused_with_a_message_and_keep_the_input(app, client, auth, build):
    event = build.past_event()
    paris = build.participant(event, "claire@paris.example")
    seoul = build.participant(event, "minji@seoul.example", "KR", "Asia/Seoul")
    meeting = build.request(event, seoul, paris)
    auth.login("claire@paris.example")
    url = f"/events/past-2026/outcomes/{meeting}"

    response = post_form(client, url, {"rating": "excellent", "follow_up": "", "comment": "kept text"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Choose one of the listed ratings." in page and "kept text" in page

    response = post_form(client, url, {"rating": "", "follow_up": "merger", "comment": ""})
    page = response.get_data(as_text=True)
    assert "Choose how the meeting went." in page and "Choose one of the listed follow-ups." in page

    response = post_form(client, url, {"rating": "not_held", "follow_up": "negotiation", "comment": ""})
    assert "did not take place has no follow-up" in response.get_data(as_text=True)

    response = post_form(client, url, {"rating": "informative", "comment": "x" * 2001})
    assert response.status_code == 200 and "2000" in response.get_data(as_text=True)
    assert _outcome(app, meeting, paris) is None

    # Without the CSRF token nothing is saved either.
    assert client.post(url, data={"rating": "informative"}).status_code in (200, 400)
    assert _outcome(app, meeting, paris) is None


def test_only_own_meetings_can_be_rated(app, client, auth, build):
    event = build.past_event()
    paris = build.participant(event, "claire@paris.example")
    berlin = build.participant(event, "jonas@berlin.example", "DE", "Europe/Berlin")
    boston = build.participant(event, "amy@boston.example", "US", "America/New_York")
    theirs = build.request(event, berlin, boston)
    mine = build.request(event, paris, boston, slot=1)
    auth.login("claire@paris.example")
    assert client.get(f"/events/past-2026/outcomes/{theirs}").status_code == 403
    token = csrf_token(client, f"/events/past-2026/outcomes/{mine}")
    assert client.post(f"/events/past-2026/outcomes/{theirs}", data={"csrf_token": token, "rating": "informative"}).status_code == 403
    assert _outcome(app, theirs, berlin) is None and _outcome(app, theirs, paris) is None
    assert client.get("/events/past-2026/outcomes/99999").status_code == 404
    # A meeting of another event is not found through this one.
    other = build.past_event(slug="other-2026")
    p2, p3 = build.participant(other, "claire@paris.example"), build.participant(other, "amy@boston.example", "US", "America/New_York")
    elsewhere = build.request(other, p2, p3)
    assert client.get(f"/events/past-2026/outcomes/{elsewhere}").status_code == 404
    page = client.get("/events/past-2026/outcomes").get_data(as_text=True)
    assert "Jonas" not in page  # others' meetings are not listed


def test_unpublished_and_cancelled_meetings_are_not_rated(app, client, auth, build):
    event = build.past_event()
    paris = build.participant(event, "claire@paris.example")
    boston = build.participant(event, "amy@boston.example", "US", "America/New_York", organisation="Harbor Robotics")
    unpublished = build.request(event, paris, boston, published=False)
    cancelled = build.request(event, paris, boston, slot=1, cancelled=True)
    auth.login("claire@paris.example")
    assert client.get(f"/events/past-2026/outcomes/{unpublished}").status_code == 404
    assert client.get(f"/events/past-2026/outcomes/{cancelled}").status_code == 404
    assert "Harbor Robotics" not in client.get("/events/past-2026/outcomes").get_data(as_text=True)


def _claire_logged_in_with_a_meeting(build, auth, **event_fields):
    """Claire (Paris) with one meeting with Amy (Boston) in a past event, logged in: (Claire's id, the meeting)."""
    event = build.past_event(**event_fields)
    paris = build.participant(event, "claire@paris.example")
    boston = build.participant(event, "amy@boston.example", "US", "America/New_York", organisation="Harbor Robotics")
    meeting = build.request(event, paris, boston)
    auth.login("claire@paris.example")
    return paris, meeting


def test_an_unpublished_timetable_takes_the_meetings_off_the_outcomes_page(app, client, auth, build):
    # The organiser unpublished the timetable: participants no longer see it, nor rate it.
    _, meeting = _claire_logged_in_with_a_meeting(build, auth, timetable_published=False)
    assert "Harbor Robotics" not in client.get("/events/past-2026/outcomes").get_data(as_text=True)
    assert client.get(f"/events/past-2026/outcomes/{meeting}").status_code == 404


def test_a_post_without_the_comment_field_saves_an_empty_comment(app, client, auth, build):
    paris, meeting = _claire_logged_in_with_a_meeting(build, auth)
    response = post_form(client, f"/events/past-2026/outcomes/{meeting}", {"rating": "informative"})
    assert response.status_code == 302
    assert _outcome(app, meeting, paris) == ("informative", None, "")


def test_not_before_the_meeting_started(app, client, auth, build, make_event):
    event = make_event(timetable_published=True)  # 2027-03-16: still ahead
    paris = build.participant(event, "claire@paris.example")
    tokyo = build.participant(event, "kenji@tokyo.example", "JP", "Asia/Tokyo")
    meeting = build.request(event, paris, tokyo)
    auth.login("claire@paris.example")
    page = client.get("/events/march-2027/outcomes").get_data(as_text=True)
    assert "after it starts" in page and f'id="rate-{meeting}"' not in page
    response = client.get(f"/events/march-2027/outcomes/{meeting}", follow_redirects=True)
    assert "You can rate this meeting once it has started: Tue 16 Mar 2027, 08:00 (Europe/Paris)" in response.get_data(as_text=True)
    token = csrf_token(client, "/events/march-2027/outcomes")
    response = client.post(f"/events/march-2027/outcomes/{meeting}", data={"csrf_token": token, "rating": "informative"})
    assert response.status_code == 302
    assert _outcome(app, meeting, paris) is None


def test_strangers_and_unapproved_participants_cannot_rate(app, client, auth, build):
    event = build.past_event()
    paris = build.participant(event, "claire@paris.example", status="pending")
    tokyo = build.participant(event, "kenji@tokyo.example", "JP", "Asia/Tokyo")
    meeting = build.request(event, paris, tokyo)
    assert client.get("/events/past-2026/outcomes").status_code == 302  # to the login page
    auth.login("claire@paris.example")
    assert client.get("/events/past-2026/outcomes").status_code == 403
    assert client.get(f"/events/past-2026/outcomes/{meeting}").status_code == 403


def test_nul_in_the_comment_is_refused_and_the_text_kept(app, client, auth, build):
    # PostgreSQL refuses NUL in text: the form explains instead of failing when saving.
    event = build.past_event()
    paris = build.participant(event, "claire@paris.example")
    tokyo = build.participant(event, "kenji@tokyo.example", "JP", "Asia/Tokyo")
    meeting = build.request(event, paris, tokyo)
    auth.login("claire@paris.example")
    response = post_form(client, f"/events/past-2026/outcomes/{meeting}",
                         {"rating": "informative", "comment": "Good\x00 talk"})
    page = response.get_data(as_text=True)
    assert "Remove the invisible control characters" in page and "Good" in page
    assert _outcome(app, meeting, paris) is None


def test_someone_who_left_still_reports_on_the_meetings_they_held(app, client, auth, build):
    """Leaving called off the meetings not yet held; the held ones stay, and their follow-up may come
    months later. Someone the organisers rejected cannot report."""
    event = build.past_event()
    paris = build.participant(event, "claire@paris.example", status="withdrawn")
    tokyo = build.participant(event, "kenji@tokyo.example", "JP", "Asia/Tokyo", organisation="Kansai Photonics")
    seoul = build.participant(event, "minji@seoul.example", "KR", "Asia/Seoul", status="rejected")
    held = build.request(event, paris, tokyo)
    called_off = build.request(event, paris, seoul, slot=1, cancelled=True)
    auth.login("claire@paris.example")
    assert 'id="left-outcomes"' in client.get("/events/past-2026").get_data(as_text=True)
    page = client.get("/events/past-2026/outcomes").get_data(as_text=True)
    assert "Kansai Photonics" in page and "Minji" not in page
    post_form(client, f"/events/past-2026/outcomes/{held}", {"rating": "cooperation_possible", "follow_up": "agreement",
                                                             "comment": "Licence signed in June"})
    assert _outcome(app, held, paris) == ("cooperation_possible", "agreement", "Licence signed in June")
    assert client.get(f"/events/past-2026/outcomes/{called_off}").status_code == 404
    assert client.get("/events/past-2026/agenda").status_code == 403  # the rest of the event stays closed
    auth.logout()
    auth.login("minji@seoul.example")
    assert client.get("/events/past-2026/outcomes").status_code == 403


def test_organisers_record_an_outcome_a_participant_gave_them(app, client, auth, build):
    """Partner offices hear most outcomes in follow-up calls: an organiser records them as the participant's own."""
    event = build.past_event()
    paris = build.participant(event, "claire@paris.example", organisation="Lumen Optics SAS")
    tokyo = build.participant(event, "kenji@tokyo.example", "JP", "Asia/Tokyo", organisation="Kansai Photonics")
    seoul = build.participant(event, "minji@seoul.example", "KR", "Asia/Seoul")
    meeting = build.request(event, paris, tokyo)
    theirs = build.request(event, tokyo, seoul, slot=1)
    auth.login("organiser@een.example")
    page = client.get(f"/organise/past-2026/participants/{paris}").get_data(as_text=True)
    held = page.split('id="held-meetings"')[1].split("</table>")[0]
    assert "Kansai Photonics (JP)" in held and "not reported" in held
    url = f"/organise/past-2026/participants/{paris}/outcomes/{meeting}"
    refused = post_form(client, url, {"rating": "not_held", "follow_up": "agreement", "comment": "Called in June"})
    assert refused.status_code == 200 and "has no follow-up" in refused.get_data(as_text=True)
    assert "Called in June" in refused.get_data(as_text=True) and _outcome(app, meeting, paris) is None
    saved = post_form(client, url, {"rating": "cooperation_possible", "follow_up": "agreement",
                                    "comment": "Licence signed, said on the phone"}, follow_redirects=True)
    assert "Saved Lumen Optics SAS’s outcome of the meeting with Kansai Photonics." in saved.get_data(as_text=True)
    assert _outcome(app, meeting, paris) == ("cooperation_possible", "agreement", "Licence signed, said on the phone")
    held = saved.get_data(as_text=True).split('id="held-meetings"')[1]
    assert "Cooperation possible" in held and "(organiser)" in held  # whose word it is stays visible
    impact = client.get("/organise/past-2026/impact").get_data(as_text=True)
    assert 'id="total-agreement">1<' in impact and "Lumen Optics SAS (recorded by an organiser)" in impact
    export = client.get("/organise/past-2026/export/meetings.csv").get_data(as_text=True)
    assert export.splitlines()[0].endswith("entered_by_a,entered_by_b") and ",organiser," in export
    # Only a meeting of that participant.
    assert client.get(f"/organise/past-2026/participants/{paris}/outcomes/{theirs}").status_code == 404
    auth.logout()
    auth.login("claire@paris.example")  # the participant sees it, and who entered it, and can correct it
    mine = client.get("/events/past-2026/outcomes").get_data(as_text=True)
    assert "Cooperation agreement reached" in mine and "(recorded by the organisers)" in mine
    rate = f"/events/past-2026/outcomes/{meeting}"
    assert "an organiser, entered this for you" in client.get(rate).get_data(as_text=True)
    post_form(client, rate, {"rating": "cooperation_possible", "follow_up": "agreement", "comment": "Licence signed"})
    assert "(recorded by the organisers)" not in client.get("/events/past-2026/outcomes").get_data(as_text=True)


def test_no_outcome_is_recorded_for_a_meeting_still_ahead(app, client, auth, build, make_event):
    event = make_event(timetable_published=True)
    paris = build.participant(event, "claire@paris.example")
    tokyo = build.participant(event, "kenji@tokyo.example", "JP", "Asia/Tokyo")
    meeting = build.request(event, paris, tokyo)
    auth.login("organiser@een.example")
    url = f"/organise/march-2027/participants/{paris}/outcomes/{meeting}"
    page = client.get(url).get_data(as_text=True)
    assert 'id="not-held-yet"' in page and 'id="outcome-form"' not in page
    token = csrf_token(client, "/organise/march-2027/participants")
    client.post(url, data={"csrf_token": token, "rating": "cooperation_possible"})
    assert _outcome(app, meeting, paris) is None
