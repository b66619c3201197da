import pytest

from tap_meta_ads.graph.errors import Action, GraphErrorInfo, GraphFatalError, classify, parse_error


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
