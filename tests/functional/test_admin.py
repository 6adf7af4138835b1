"""Administering accounts: the users pages and API, one's own password, and
``mediacaster-admin passwd``; with logins on, as people and scripts use them."""

from urllib.parse import urlsplit

import pytest
import webtest

from tests.functional import test_security
from tests.functional.test_database import admin as run_admin
from tests.functional.test_security import PASSWORD, log_in

pytestmark = pytest.mark.slow

secured = test_security.secured  # the fixture: an app with logins on, anna, kid and boss

NEW_PASSWORD = "battery staple"


def bearer(who):
    return {"Authorization": f"Bearer {who}-token"}


def browser(secured, name=None, password=PASSWORD):
    """Another browser on the same app, logged in as ``name``."""
    other = webtest.TestApp(secured.app)
    if name:
        log_in(other, name, password)
    return other


def script(secured):
    """A client without cookies, for requests with a token."""
    return webtest.TestApp(secured.app)


def user_id(secured, name):
    listed = script(secured).get("/api/users", headers=bearer("boss")).json["users"]
    return next(u["id"] for u in listed if u["name"] == name)


def tick_roots(form, roots):
    """Tick "every root" (roots None) or exactly the roots named."""
    form["every_root"] = roots is None
    for box in form.fields["roots"]:
        box.checked = roots is not None and box._value in roots


def call(client, method, path, body=None, **kwargs):
    if method == "GET":
        return client.get(path, **kwargs)
    return getattr(client, f"{method.lower()}_json")(path, body or {}, **kwargs)


def roots_seen(client):
    return [r["name"] for r in client.get("/api/library").json["roots"]]


def logged_out(client):
    response = client.get("/account", status=303)
    return urlsplit(response.location).path == "/login"


def test_an_administrator_adds_a_member_who_sees_only_their_roots(secured):
    log_in(secured, "boss")
    page = secured.get("/admin/users")
    assert [row["data-user"] for row in page.html.select("tr[data-user]")] == ["anna", "boss", "kid"]
    assert page.html.select_one(".admin-users")  # the header's link, for administrators
    form = page.forms["add-user"]
    form["name"], form["password"] = "Ben", PASSWORD
    tick_roots(form, ["video", "images"])
    form.submit(status=303)
    ben = browser(secured, "ben")
    assert sorted(roots_seen(ben)) == ["images", "video"]
    assert not ben.get("/library/images").html.select(".admin-users")

    form = secured.get(f"/admin/users/{user_id(secured, 'Ben')}").forms["user-access"]
    tick_roots(form, ["images"])
    form.submit(status=303)
    assert roots_seen(ben) == ["images"]  # from the next request on, in the same session
    ben.get("/library/video", status=404)
    row = secured.get("/admin/users").html.select_one('tr[data-user="Ben"]')
    assert row.select_one(".sees").text == "images"


def test_resetting_a_password_logs_the_member_out_and_revokes_tokens_when_asked(secured):
    log_in(secured, "boss")
    anna = browser(secured, "anna")
    page = secured.get(f"/admin/users/{user_id(secured, 'anna')}")
    form = page.forms["user-password"]
    form["password"] = form["again"] = NEW_PASSWORD
    form.submit(status=303)
    assert logged_out(anna)
    log_in(anna, "anna", PASSWORD, status=400)
    log_in(anna, "anna", NEW_PASSWORD)
    assert script(secured).get("/api/library", headers=bearer("anna")).status_int == 200  # box not ticked

    form = secured.get(page.request.path).forms["user-password"]
    form["password"] = form["again"] = PASSWORD
    form["revoke_tokens"] = True
    form.submit(status=303)
    script(secured).get("/api/library", headers=bearer("anna"), status=401)
    # One's own reset keeps one's own session.
    form = secured.get(f"/admin/users/{user_id(secured, 'boss')}").forms["user-password"]
    form["password"] = form["again"] = NEW_PASSWORD
    form.submit(status=303)
    assert secured.get("/admin/users").status_int == 200


def test_removing_a_user_ends_their_session_and_their_tokens(secured):
    log_in(secured, "boss")
    kid = browser(secured, "kid")
    form = secured.get(f"/admin/users/{user_id(secured, 'kid')}").forms["user-remove"]
    form["confirm"] = True
    form.submit(status=303)
    assert logged_out(kid)
    script(secured).get("/api/library", headers=bearer("kid"), status=401)
    assert not secured.get("/admin/users").html.select('tr[data-user="kid"]')


def test_the_last_administrator_and_ones_own_account_are_kept(secured):
    log_in(secured, "boss")
    boss = user_id(secured, "boss")
    page = secured.get(f"/admin/users/{boss}")
    assert "your own account" in page.html.select_one("main").text and "user-remove" not in page.forms
    form = page.forms["user-access"]
    form["role"] = "member"
    refused = form.submit(status=409)
    assert "boss is the last administrator" in refused.html.select_one(".error-detail").text
    token = secured.get("/api/session").json["csrf_token"]
    refused = secured.post(f"/admin/users/{boss}/remove", {"csrf_token": token}, status=409)
    assert "last administrator" in refused.text
    api = script(secured)
    assert api.delete(f"/api/users/{boss}", headers=bearer("boss"), status=409).json["error"] == "conflict"

    chief = {"name": "chief", "password": PASSWORD, "role": "admin", "roots": ["audio"]}
    made = api.post_json("/api/users", chief, headers=bearer("boss")).json
    assert (made["role"], made["roots"], made["tokens"]) == ("admin", None, 0)  # admins see every root
    refused = form.submit(status=409)
    assert "you cannot make yourself a member" in refused.text
    detail = api.delete(f"/api/users/{boss}", headers=bearer("boss"), status=409).json["detail"]
    assert "you cannot remove your own account" in detail

    # Another administrator can: then boss is a member, and the pages are closed to them.
    form = browser(secured, "chief").get(f"/admin/users/{boss}").forms["user-access"]
    form["role"] = "member"
    form.submit(status=303)
    secured.get("/admin/users", status=403)
    api.delete(f"/api/users/{made['id']}", headers=bearer("boss"), status=403)


@pytest.mark.parametrize(
    "path", ["/admin/users/999", "/admin/users/abc", "/admin/users/99999999999999999999999"]
)
def test_unknown_users_answer_404(secured, path):
    log_in(secured, "boss")
    secured.get(path, status=404)
    api_path = path.replace("/admin/", "/api/")
    assert script(secured).get(api_path, headers=bearer("boss"), status=404).json["error"] == "not_found"
    script(secured).delete(api_path, headers=bearer("boss"), status=404)
    token = secured.get("/api/session").json["csrf_token"]
    secured.post(path + "/remove", {"csrf_token": token}, status=404)


@pytest.mark.parametrize(
    ("values", "status", "reason"),
    [
        ({"name": "  "}, 400, "a name has 1 to 64 printable characters"),
        ({"name": "ANNA"}, 409, "an account named 'ANNA' exists"),
        ({"password": "short"}, 400, "a password has at least 8 characters"),
        ({"role": "owner"}, 400, "a role is one of admin, member"),
        ({"roots": []}, 400, "tick the roots this member sees, or “every root” to give them all"),
        ({"roots": ["video", "nowhere"]}, 400, "no library root named 'nowhere'"),
    ],
)
def test_bad_values_on_the_page_are_refused_with_the_reason(secured, values, status, reason):
    log_in(secured, "boss")
    fields = {"name": "ben", "password": PASSWORD, "role": "member", "every_root": "on", **values}
    if "roots" in values:
        del fields["every_root"]
    body = [(k, v) for k, v in fields.items() if k != "roots"] + [
        ("roots", r) for r in values.get("roots", ())
    ]
    body.append(("csrf_token", secured.get("/api/session").json["csrf_token"]))
    page = secured.post("/admin/users", body, status=status)
    assert page.html.select_one(".error-detail").text == reason
    assert page.forms["add-user"]["name"].value == fields["name"]  # typed again, except the password
    assert not page.forms["add-user"]["password"].value


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "reason"),
    [
        ("POST", "/api/users", {"name": "ben"}, 400, "password is required: at least 8 characters"),
        ("POST", "/api/users", {"name": "ben", "password": "short"}, 400, "password must be valid"),
        ("POST", "/api/users", {"name": "be\x07n", "password": PASSWORD}, 422, "printable characters"),
        ("POST", "/api/users", {"name": "Kid", "password": PASSWORD}, 409, "an account named 'Kid' exists"),
        ("POST", "/api/users", {"name": "ben", "password": PASSWORD, "roots": ["x"]}, 422, "no library root"),
        ("PATCH", "/api/users/{anna}", {"roots": ["video", "x"]}, 422, "no library root named 'x'"),
        ("PATCH", "/api/users/{anna}", {"roots": []}, 422, "at least one root"),
        ("PATCH", "/api/users/{anna}", {"role": "owner"}, 400, "role must be one of"),
        ("PATCH", "/api/users/{anna}", {"password": "short"}, 400, "password must be valid"),
    ],
)
def test_bad_values_in_the_api_are_refused_with_the_reason(secured, method, path, body, status, reason):
    path = path.format(anna=user_id(secured, "anna"))
    response = call(script(secured), method, path, body, headers=bearer("boss"), status=status)
    assert reason in response.json["detail"], response.json


def test_the_users_api_lists_makes_changes_and_removes(secured):
    api, boss = script(secured), bearer("boss")
    listed = api.get("/api/users", headers=boss).json["users"]
    assert [(u["name"], u["role"], u["roots"], u["tokens"]) for u in listed] == [
        ("anna", "member", None, 1),
        ("boss", "admin", None, 1),
        ("kid", "member", ["audio"], 1),
    ]
    made = api.post_json(
        "/api/users", {"name": "Ben", "password": PASSWORD, "roots": ["video"]}, headers=boss
    )
    ben = f"/api/users/{made.json['id']}"
    assert api.get(ben, headers=boss).json["roots"] == ["video"]
    changed = api.patch_json(ben, {"roots": ["audio", "video", "audio"]}, headers=boss).json
    assert (changed["role"], changed["roots"]) == ("member", ["audio", "video"])
    changed = api.patch_json(ben, {"role": "admin"}, headers=boss).json
    assert (changed["role"], changed["roots"]) == ("admin", None)
    changed = api.patch_json(ben, {"role": "member", "roots": None}, headers=boss).json
    assert (changed["role"], changed["roots"]) == ("member", None)
    api.patch_json(ben, {"password": NEW_PASSWORD}, headers=boss)
    log_in(browser(secured), "ben", NEW_PASSWORD)
    assert api.delete(ben, headers=boss).json == {"removed": made.json["id"]}
    api.get(ben, headers=boss, status=404)


ADMIN_PAGES = [
    ("GET", "/admin/users"),
    ("GET", "/admin/users/1"),
    ("POST", "/admin/users"),
    ("POST", "/admin/users/1"),
    ("POST", "/admin/users/1/password"),
    ("POST", "/admin/users/1/remove"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_PAGES)
def test_members_and_nobody_get_no_admin_page(secured, method, path):
    nobody = browser(secured)
    if method == "GET":
        assert urlsplit(nobody.get(path, status=303).location).path == "/login"
    else:
        nobody.post(path, {"name": "x", "password": PASSWORD}, status=401)
    member = browser(secured, "anna")
    token = member.get("/api/session").json["csrf_token"]  # with it: refused as a member, not for CSRF
    if method == "GET":
        member.get(path, status=403)
    else:
        member.post(path, {"csrf_token": token}, status=403)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/users"),
        ("POST", "/api/users"),
        *((m, "/api/users/1") for m in ("GET", "PATCH", "DELETE")),
    ],
)
def test_members_and_nobody_get_no_users_api(secured, method, path):
    body = {"name": "ben", "password": PASSWORD} if method == "POST" else {}
    client = script(secured)
    assert call(client, method, path, body, headers=bearer("anna"), status=403).json["error"] == "forbidden"
    assert call(client, method, path, body, status=401).json["error"] == "login_required"


def test_admin_forms_need_the_csrf_token(secured):
    log_in(secured, "boss")
    anna = user_id(secured, "anna")
    response = secured.post(
        "/admin/users", {"name": "ben", "password": PASSWORD, "every_root": "on"}, status=403
    )
    assert "csrf_token" in response.text
    secured.post(f"/admin/users/{anna}/remove", status=403)
    secured.post(
        f"/admin/users/{anna}/password", {"password": NEW_PASSWORD, "again": NEW_PASSWORD}, status=403
    )
    assert [u["name"] for u in script(secured).get("/api/users", headers=bearer("boss")).json["users"]] == [
        "anna",
        "boss",
        "kid",
    ]
    log_in(browser(secured), "anna")  # her password unchanged


def change_own_password(client, current, new, again=None, status=303):
    form = client.get("/account").forms["password-form"]
    form["password"], form["new_password"], form["again"] = current, new, new if again is None else again
    return form.submit(status=status)


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(secured):
    here, elsewhere = browser(secured, "anna"), browser(secured, "anna")
    wrong = change_own_password(here, "wrong horse", NEW_PASSWORD, status=400)
    assert wrong.html.select_one("#password-form .error-detail").text == "the current password is wrong"
    differ = change_own_password(here, PASSWORD, NEW_PASSWORD, "battery stable", status=400)
    assert "differ" in differ.html.select_one("#password-form .error-detail").text
    short = change_own_password(here, PASSWORD, "short", status=400)
    assert "at least 8" in short.text
    change_own_password(here, PASSWORD, NEW_PASSWORD)
    assert here.get("/account").status_int == 200
    assert logged_out(elsewhere)
    log_in(elsewhere, "anna", PASSWORD, status=400)
    log_in(elsewhere, "anna", NEW_PASSWORD)


def test_wrong_current_passwords_count_as_failed_logins(secured):
    anna = browser(secured, "anna")
    for _ in range(5):
        change_own_password(anna, "wrong horse", NEW_PASSWORD, status=400)
    refused = change_own_password(anna, PASSWORD, NEW_PASSWORD, status=429)
    assert "try again in" in refused.text
    log_in(browser(secured), "anna", status=429)


def test_with_logins_off_the_pages_work_and_there_is_no_own_password(make_app, tmp_path):
    app = make_app(**{"mediacaster.database_url": f"sqlite:///{tmp_path / 'db'}"})
    demo = webtest.TestApp(app)
    form = demo.get("/admin/users").forms["add-user"]
    form["name"], form["password"], form["role"] = "anna", PASSWORD, "admin"
    form.submit(status=303)
    assert demo.get("/api/users").json["users"][0]["role"] == "admin"
    assert "logins are off" in demo.post("/account/password", {"password": PASSWORD}, status=409).text


def test_mediacaster_admin_passwd_is_the_way_back_in(secured, tmp_path):
    url = f"sqlite:///{tmp_path / 'db'}"  # the secured app's database
    boss = browser(secured, "boss")
    result = run_admin(tmp_path, url, "passwd", "BOSS", password=NEW_PASSWORD)
    assert result.returncode == 0, result.stderr
    assert "new password for 'boss'" in result.stdout
    assert logged_out(boss)
    log_in(boss, "boss", NEW_PASSWORD)
    result = run_admin(tmp_path, url, "passwd", "nobody", password=NEW_PASSWORD)
    assert result.returncode != 0 and "no account named 'nobody'" in result.stderr
    result = run_admin(tmp_path, url, "passwd", "boss", password="short")
    assert result.returncode != 0 and "at least 8 characters" in result.stderr


def test_a_new_member_starts_with_no_root_and_the_form_asks_for_one(secured):
    """Giving a member everything is a choice: nothing is ticked, and nothing ticked is refused."""
    log_in(secured, "boss")
    page = secured.get("/admin/users")
    assert not page.html.select("#add-user .roots-choice input:checked")
    form = page.forms["add-user"]
    form["name"], form["password"] = "Ben", PASSWORD
    refused = form.submit(status=400)
    message = refused.html.select_one("#add-user .error-detail")
    assert message["role"] == "alert" and "every root" in message.text
    assert not refused.html.select("#add-user .roots-choice input:checked")  # still nothing ticked
    form = refused.forms["add-user"]
    form["password"] = PASSWORD
    form["every_root"] = True
    added = form.submit(status=303).follow()
    assert added.html.select_one('[role="status"]').text == "Added Ben."
    form = secured.get(f"/admin/users/{user_id(secured, 'Ben')}").forms["user-access"]
    tick_roots(form, ["images"])
    saved = form.submit(status=303).follow()
    assert saved.html.select_one('[role="status"]').text == "Saved: Ben sees images."
    # Removing asks first (in the browser) and looks dangerous.
    remove = saved.html.select_one("#user-remove")
    assert "cannot be undone" in remove["data-confirm"] and "danger" in remove.button["class"]


def test_a_member_reads_in_words_why_the_users_page_is_closed(secured):
    log_in(secured, "anna")
    page = secured.get("/admin/users", status=403)
    assert page.html.select_one("h1").text == "This is not open to you"
    assert page.html.select_one(".error-detail").text == "only an administrator may do this"
    assert "permission" not in page.text and "Forbidden" not in page.text
    api = secured.get("/api/users", status=403).json
    assert api == {"error": "forbidden", "detail": "only an administrator may do this"}


def test_a_new_token_comes_with_copy_buttons_and_a_curl_example(secured):
    log_in(secured)
    form = secured.get("/account").forms["new-token-form"]
    form["name"] = "kitchen tablet"
    made = form.submit()
    token = made.html.select_one("#new-token").text
    example = made.html.select_one("#new-token-curl").text
    assert (
        example.startswith(f'curl -H "Authorization: Bearer {token}" http://') and "/api/library" in example
    )
    assert {b["data-copy"] for b in made.html.select("[data-copy]")} == {"new-token", "new-token-curl"}
    row = made.html.select_one('tr[data-token="kitchen tablet"] form')
    assert "Scripts that send it stop working" in row["data-confirm"]  # asked first, in the browser
    revoke = next(f for f in made.forms.values() if f.action == row["action"])
    revoked = revoke.submit(status=303).follow()
    assert revoked.html.select_one('[role="status"]').text == "Revoked the token “kitchen tablet”."


def test_with_logins_off_the_account_page_says_why_in_words(make_app, tmp_path):
    demo = webtest.TestApp(make_app(**{"mediacaster.database_url": f"sqlite:///{tmp_path / 'db'}"}))
    assert not demo.get("/").html.select('a[href$="/account"]')  # no account link in the header
    page = demo.get("/account", status=409)
    assert page.html.select_one("h1").text == "There are no accounts here"
    assert "mediacaster.auth = true" in page.text and "Conflict" not in page.text
