"""Configuration from the environment: defaults, derivations, overrides, and clear failures."""

import pytest

from service.settings import Settings, SettingsError, load_settings


def test_defaults_need_nothing_set() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert settings.mongo_url is None
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)
    assert settings.read_preference == "secondaryPreferred"


def test_database_comes_from_the_url_path_unless_named() -> None:
    url = "mongodb://mongo:27017/rcprod?replicaSet=rs0"
    assert load_settings({"MONGO_URL": url}).mongo_database == "rcprod"
    assert load_settings({"MONGO_URL": url, "MONGO_DATABASE": "other"}).mongo_database == "other"
    assert load_settings({"MONGO_URL": "mongodb://mongo:27017"}).mongo_database == "rocketchat"


def test_the_result_caches_byte_bound_is_read_from_the_environment() -> None:
    assert load_settings({}).result_cache_max_bytes == 16 * 1024 * 1024
    assert load_settings({"RESULT_CACHE_MAX_BYTES": "1048576"}).result_cache_max_bytes == 1048576


def test_rocketchat_overrides_use_rocketchats_variable_names() -> None:
    overrides = load_settings(
        {
            "OVERWRITE_SETTING_API_Default_Count": "20",
            "OVERWRITE_SETTING_API_Upper_Count_Limit": "200",
            "OVERWRITE_SETTING_API_Allow_Infinite_Count": "false",
            "OVERWRITE_SETTING_Accounts_LoginExpiration": "30",
            "OVERWRITE_SETTING_Livechat_visitor_inactivity_timeout": "900",
        }
    ).overrides
    assert overrides.api_default_count == 20
    assert overrides.api_upper_count_limit == 200
    assert overrides.api_allow_infinite_count is False
    assert overrides.login_expiration_days == 30
    assert overrides.visitor_inactivity_timeout == 900


def test_every_bad_variable_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(
            {
                "PORT": "eighty",
                "MONGO_READ_PREFERENCE": "fastest",
                "MONGO_MAX_TIME_MS": "0",
                "AUTH_CACHE_TTL_SECONDS": "-1",
                "RESULT_CACHE_MAX_BYTES": "12",
                "OVERWRITE_SETTING_API_Default_Count": "many",
            }
        )
    message = str(raised.value)
    for name in (
        "PORT",
        "MONGO_READ_PREFERENCE",
        "MONGO_MAX_TIME_MS",
        "AUTH_CACHE_TTL_SECONDS",
        "RESULT_CACHE_MAX_BYTES",
        "OVERWRITE_SETTING_API_Default_Count",
    ):
        assert name in message


def test_credentials_in_the_url_never_print() -> None:
    settings = load_settings({"MONGO_URL": "mongodb://reader:s3cret@mongo-0:27017/rocketchat"})
    assert settings.masked_mongo_url == "mongodb://***@mongo-0:27017/rocketchat"
    assert "s3cret" not in repr(settings)
    assert "s3cret" not in str(settings)
    assert load_settings({"MONGO_URL": "mongodb://mongo:27017"}).masked_mongo_url == (
        "mongodb://mongo:27017"
    )


def test_an_unescaped_hash_in_the_password_is_masked_too() -> None:
    # pymongo accepts this URL: user "reader", password "s3c#ret", database "rcprod".
    settings = load_settings({"MONGO_URL": "mongodb://reader:s3c#ret@mongo-0:27017/rcprod"})
    assert settings.masked_mongo_url == "mongodb://***@mongo-0:27017/rcprod"
    assert settings.mongo_database == "rcprod"


def test_rocketchat_server_timezone_is_an_iana_name_checked_at_start_up() -> None:
    assert load_settings({}).rocketchat_server_timezone == "UTC"
    zone = {"ROCKETCHAT_SERVER_TIMEZONE": "America/Sao_Paulo"}
    assert load_settings(zone).rocketchat_server_timezone == "America/Sao_Paulo"
    for bad in ("Mars/Olympus_Mons", "+02:00", "../../etc/passwd", ""):
        with pytest.raises(SettingsError, match="ROCKETCHAT_SERVER_TIMEZONE"):
            load_settings({"ROCKETCHAT_SERVER_TIMEZONE": bad})
