"""The rules for accounts: what a valid email, password and display name are."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from service.paths import ROOT

MIN_PASSWORD_LENGTH = 8
RECOMMENDED_PASSWORD_LENGTH = 15
MAX_PASSWORD_LENGTH = 128
# Longer passwords are refused before hashing, so nobody can make the server hash megabytes.
MAX_SIGN_IN_PASSWORD_LENGTH = 1024
MAX_EMAIL_LENGTH = 254
MAX_DISPLAY_NAME_LENGTH = 50
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
COMMON_PASSWORDS_FILE = ROOT / "service" / "data" / "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text().splitlines()
    return frozenset(line.lower() for line in lines if line and not line.startswith("#"))


def email_problem(email: str) -> str:
    """Why email cannot be an account's address, or '' when it can."""
    if not email:
        return "Enter your email address."
    if len(email) > MAX_EMAIL_LENGTH or not EMAIL.match(email):
        return "Enter a valid email address, like name@example.com."
    return ""


def password_problem(password: str, email: str = "") -> str:
    """Why password is not acceptable as a new password, or '' when it is."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return (
            f"Use at least {MIN_PASSWORD_LENGTH} characters "
            f"({RECOMMENDED_PASSWORD_LENGTH} or more is better)."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    lowered = password.lower()
    if lowered in common_passwords():
        return "That password is one of the most common ones; choose another."
    if email and lowered in {email.lower(), email.split("@")[0].lower()}:
        return "Your password cannot be your email address."
    return ""


def clean_display_name(raw: str) -> tuple[str, str]:
    """The display name to store and an error; exactly one of the two is empty."""
    name = " ".join(raw.split())
    if not name:
        return "", "Enter a display name."
    if len(name) > MAX_DISPLAY_NAME_LENGTH:
        return "", f"Use at most {MAX_DISPLAY_NAME_LENGTH} characters for your display name."
    if any(unicodedata.category(char) in {"Cc", "Cf"} for char in name):
        return "", "Display names cannot contain control or formatting characters."
    return name, ""
