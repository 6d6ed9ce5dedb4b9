"""The browser fixtures of the page tests, shared by every page test module."""

from tests.web.test_page import browser, page  # noqa: F401
