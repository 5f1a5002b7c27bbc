"""Migrations that change data: run from the revision before them on rows such as production has."""
import sqlalchemy as sa
from flask_migrate import upgrade

from brokerage import create_app
from brokerage.extensions import db


def _at(tmp_path, revision: str, users: int):
    """An app whose database is at `revision`, holding users 1 (the organiser) to `users` and event 1."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/old.sqlite",
                      "MAIL_OUTBOX": str(tmp_path)})
    with app.app_context():
        upgrade(revision=revision)
        with db.engine.begin() as c:
            for uid in range(1, users + 1):
                c.execute(sa.text("INSERT INTO user (id, email, name, password_hash, is_admin, created_at) VALUES "
                                  "(:i, :e, 'U', 'h', 0, '2027-01-01 00:00:00')"), {"i": uid, "e": f"u{uid}@x"})
            c.execute(sa.text("INSERT INTO event (id, slug, name, description, timezone, start_date, end_date, slot_minutes,"
                              " pause_minutes, participant_approval, request_mode, video_mode, video_link_template,"
                              " timetable_published, created_by_id, created_at) VALUES (1, 'e', 'E', '', 'UTC',"
                              " '2027-03-16', '2027-03-16', 20, 5, 1, 'approval', 'template', 'x', 0, 1, '2027-01-01 00:00:00')"))
    return app


def test_0003_keeps_the_agreed_meeting_of_a_pair_with_two_open_requests(tmp_path):
    app = _at(tmp_path, "0002_announced_details", users=3)
    with app.app_context():
        with db.engine.begin() as c:
            for pid, uid in ((1, 2), (2, 3)):
                c.execute(sa.text("INSERT INTO participant (id, event_id, user_id, status, organisation, country,"
                                  " organisation_type, sectors, website, description, languages, timezone, support_office,"
                                  " organiser_notes, video_link, feed_token, created_at) VALUES (:p, 1, :u, 'approved',"
                                  " 'Org', 'FR', 'sme', '', '', '', '', 'UTC', '', '', '', :t, '2027-01-01 00:00:00')"),
                          {"p": pid, "u": uid, "t": f"token{pid}"})
            # A asked B (still pending); B asked A a moment later and A accepted: the pair meets.
            c.execute(sa.text("INSERT INTO meeting_request (id, event_id, requester_id, recipient_id, message, status,"
                              " weight, created_at) VALUES (1, 1, 1, 2, '', 'pending', 1, '2027-01-01 00:00:00'),"
                              " (2, 1, 2, 1, '', 'accepted', 1, '2027-01-01 00:00:01')"))
            c.execute(sa.text("INSERT INTO meeting (id, event_id, request_id, locked, unscheduled_reason, cancelled, uid,"
                              " sequence, updated_at) VALUES (1, 1, 2, 0, '', 0, 'u1', 0, '2027-01-01 00:00:00')"))
        upgrade()
        with db.engine.connect() as c:
            assert c.execute(sa.text("SELECT id, status FROM meeting_request ORDER BY id")).all() == [
                (1, "cancelled"), (2, "accepted")]
            assert c.execute(sa.text("SELECT cancelled FROM meeting")).scalar() == 0


def test_0006_folds_existing_profiles_for_the_search(tmp_path):
    app = _at(tmp_path, "0005_arranged_requests", users=2)
    with app.app_context():
        with db.engine.begin() as c:
            c.execute(sa.text("INSERT INTO participant (id, event_id, user_id, status, organisation, country,"
                              " organisation_type, sectors, website, description, languages, timezone, support_office,"
                              " organiser_notes, video_link, feed_token, created_at) VALUES (1, 1, 2, 'approved',"
                              " 'Kraków Optics', 'PL', 'sme', '', '', 'Lidar', '', 'UTC', '', '', '', 't1',"
                              " '2027-01-01 00:00:00')"))
            c.execute(sa.text("INSERT INTO opportunity (id, participant_id, kind, title, description, keywords,"
                              " created_at) VALUES (1, 1, 'tech_offer', 'ＡＩ Radar', '', 'Batteries',"
                              " '2027-01-01 00:00:00')"))
        upgrade()
        with db.engine.connect() as c:
            text = c.execute(sa.text("SELECT search_text FROM participant")).scalar()
    assert text == "krakow optics\nlidar\nai radar\n\nbatteries"

