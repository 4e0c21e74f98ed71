import os
import secrets
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]


def _check_production(secret_key: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _check_production(None)

    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_production_refuses_a_short_secret_key():
    assert _check_production("too-short").returncode != 0


def test_production_starts_with_a_real_secret_key():
    result = _check_production("k" * 16 + "0123456789abcdefXYZ")

    assert result.returncode == 0, result.stderr


def test_production_settings_pass_every_deployment_check_at_warning_level():
    result = _check_production(secrets.token_urlsafe(50))

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


PRODUCTION_PROBE = """
import django
django.setup()
from django.test import Client
http = Client(HTTP_HOST="desk.example.com").get("/accounts/login/")
https = Client(HTTP_HOST="desk.example.com").get("/accounts/login/", secure=True)
health = Client(HTTP_HOST="desk.example.com").get("/healthz")
print(http.status_code, http.get("Location"))
print(https.status_code, https["Strict-Transport-Security"], https["Referrer-Policy"])
print(https.cookies["csrftoken"]["secure"], https["Content-Security-Policy"])
print(health.status_code)
"""


def test_production_redirects_to_https_and_sends_hsts_and_secure_cookies():
    env = {k: v for k, v in os.environ.items()}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="desk.example.com",
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    http, https, cookie_and_csp, health = result.stdout.strip().splitlines()
    assert http == "301 https://desk.example.com/accounts/login/"
    assert https == "200 max-age=31536000; includeSubDomains; preload same-origin"
    assert cookie_and_csp.startswith("True ")
    script_src = cookie_and_csp.split("script-src")[1].split(";")[0]
    assert script_src.strip() == "'self'"
    assert health != "301", "the load balancer's plain-HTTP health check is not redirected"
