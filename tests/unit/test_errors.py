import pytest

from tap_meta_ads.graph.errors import (
    ERRORS,
    Action,
    GraphErrorInfo,
    GraphFatalError,
    classify,
    is_permanent,
    is_unknown_object,
    job_error,
    parse_error,
    remedy,
)


def _info(status, **error):
    info = parse_error(status, {"error": {"message": "m", **error}})
    assert info is not None
    return info


@pytest.mark.parametrize(
    ("status", "error", "action"),
    [
        (400, {"code": 80004, "error_subcode": 2446079}, Action.THROTTLE),
        (400, {"code": 80000, "error_subcode": 2446079}, Action.THROTTLE),
        (400, {"code": 17, "error_subcode": 2446079}, Action.THROTTLE),
        (400, {"code": 4}, Action.THROTTLE),
        (400, {"code": 32}, Action.THROTTLE),
        (400, {"code": 613}, Action.THROTTLE),
        (429, {}, Action.THROTTLE),
        (400, {"code": 100, "error_subcode": 1487534}, Action.SPLIT),
        (
            500,
            {
                "code": 1,
                "message": "Please reduce the amount of data you're asking for, "
                "then retry your request",
            },
            Action.SHRINK_PAGE,
        ),
        (500, {"code": 1}, Action.RETRY),
        (500, {"code": 2}, Action.RETRY),
        (503, {"code": 2, "is_transient": True}, Action.RETRY),
        (400, {"code": 1504043, "is_transient": True}, Action.RETRY),
        (400, {"code": 190}, Action.FATAL),
        (400, {"code": 190, "error_subcode": 463}, Action.FATAL),
        (403, {"code": 200}, Action.FATAL),
        (403, {"code": 10}, Action.FATAL),
        (400, {"code": 100}, Action.FATAL),
        (400, {"code": 100, "error_subcode": 33}, Action.FATAL),
        (400, {"code": 2635}, Action.FATAL),
        (400, {"code": 3018}, Action.FATAL),
        (401, {}, Action.FATAL),
    ],
)
def test_classification_is_on_codes(status, error, action):
    assert classify(_info(status, **error)) is action


def test_non_json_5xx_page_is_retried():
    assert classify(GraphErrorInfo(http_status=502, message="Bad Gateway")) is Action.RETRY


def test_not_an_envelope():
    assert parse_error(200, {"data": []}) is None
    assert parse_error(500, "oops") is None
    assert parse_error(400, {"error": "a string"}) is None


def test_string_codes_are_read():
    info = _info(400, code="190", error_subcode="463")
    assert (info.code, info.subcode) == (190, 463)


@pytest.mark.parametrize(
    ("error", "fix"),
    [
        ({"code": 190, "error_subcode": 463}, "generate a new System User token"),
        ({"code": 190}, "generate a new System User token"),
        ({"code": 200}, "ads_read"),
        ({"code": 10}, "ads_read"),
        ({"code": 2635}, "api_version"),
        ({"code": 100, "error_subcode": 33}, "check the account id"),
    ],
)
def test_fatal_line_names_account_code_and_fix(error, fix):
    info = _info(400, error_user_title="Title", error_user_msg="User message", **error)
    line = str(GraphFatalError(info, "1001", "reading campaigns"))
    assert "\n" not in line
    assert line.startswith("account 1001: reading campaigns failed with HTTP 400")
    assert f"code {error['code']}" in line
    assert fix in line
    assert "Title: User message" in line
    if "error_subcode" in error:
        assert f"subcode {error['error_subcode']}" in line


def test_insights_permission_subcode_gets_its_own_fix():
    info = _info(400, code=100, error_subcode=3191001)
    assert classify(info) is Action.FATAL
    assert remedy(info).startswith("the token lacks insights permission")
    assert is_permanent(info)


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        ({"error_code": 190, "error_subcode": 463}, True),
        ({"error_code": 102}, True),
        ({"error_code": 10}, True),
        ({"error_code": 200}, True),
        ({"error_code": 299}, True),
        ({"error_code": -1, "error_subcode": 3191001}, True),
        ({"error_code": -2, "error_subcode": 2490547}, False),
        ({"error_code": 100}, False),
        ({"error_code": 2, "error_message": "temporary"}, False),
        ({"error_code": 3018}, False),
    ],
)
def test_failed_report_runs_are_permanent_on_token_and_permission_codes(error, permanent):
    info = job_error(error)
    assert info is not None
    assert is_permanent(info) is permanent
    assert (classify(info) is Action.FATAL) or not permanent


@pytest.mark.parametrize(("code", "subcode"), [(100, 1487534), (-3, 1504045), (None, 1504045)])
def test_too_large_reports_are_split_whatever_the_code(code, subcode):
    info = GraphErrorInfo(http_status=200, code=code, subcode=subcode)
    assert classify(info) is Action.SPLIT
    assert "too large" in remedy(info)


def test_unknown_object_is_100_33_at_any_status():
    assert is_unknown_object(GraphErrorInfo(http_status=400, code=100, subcode=33))
    assert is_unknown_object(GraphErrorInfo(http_status=403, code=100, subcode=33))
    assert not is_unknown_object(GraphErrorInfo(http_status=400, code=100))
    assert not is_unknown_object(None)


def test_the_table_agrees_with_itself():
    """Every permanent rule is fatal, and every rule's own codes reach that rule."""
    for rule in ERRORS:
        assert rule.action is Action.FATAL or not rule.permanent
        code = min(rule.codes) if rule.codes else None
        subcode = min(rule.subcodes) if rule.subcodes else None
        message = rule.text or "m"
        info = GraphErrorInfo(http_status=400, code=code, subcode=subcode, message=message)
        assert classify(info) is rule.action, rule
        assert remedy(info) == rule.fix, rule
        assert is_permanent(info) is rule.permanent, rule
