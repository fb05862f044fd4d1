"""A browser's cookie jar and requests, against an app served over real HTTP."""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request

from tests.support.app import PASSWORD


class Browser:
    """A cookie jar and the requests a browser makes, against the served app."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        """GET, following redirects; return the path it ended on."""
        with self.opener.open(self.base + path, timeout=10) as response:
            return urllib.parse.urlsplit(response.url).path

    def post(self, path: str, **fields: str) -> str:
        """POST a form, following redirects; return the path it ended on (errors too)."""
        body = urllib.parse.urlencode(fields).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=10) as response:
                return urllib.parse.urlsplit(response.url).path
        except urllib.error.HTTPError as error:  # a refused login answers 401
            error.close()
            return urllib.parse.urlsplit(error.url).path

    def login(self, email: str, *, remember: bool = False) -> None:
        fields = {"email": email, "password": PASSWORD}
        if remember:
            fields["remember"] = "y"
        self.post("/login", **fields)
        assert self.signed_in()

    def signed_in(self) -> bool:
        return self.get("/account") == "/account"

    def cookie(self, name: str) -> http.cookiejar.Cookie | None:
        return next((c for c in self.jar if c.name == name), None)

    def copy_to(self, other: Browser, *names: str) -> None:
        """What an attacker who read the cookies (a shared computer, malware) holds."""
        for cookie in self.jar:
            if not names or cookie.name in names:
                other.jar.set_cookie(cookie)
