"""Going back to the `next` address: only ever to this site."""

from django.test import RequestFactory

from backoffice.http import safe_next_url

factory = RequestFactory()


def test_an_address_on_this_site_is_followed_posted_first():
    assert safe_next_url(factory.get("/x/", {"next": "/crm/tasks/?page=2"}), "/home/") == "/crm/tasks/?page=2"
    request = factory.post("/x/?next=/from-query/", {"next": "/from-form/"})
    assert safe_next_url(request, "/home/") == "/from-form/"
    assert safe_next_url(factory.post("/x/?next=/from-query/"), "/home/") == "/from-query/"


def test_another_site_or_nothing_gives_the_default():
    assert safe_next_url(factory.get("/x/", {"next": "https://evil.example/"}), "/home/") == "/home/"
    assert safe_next_url(factory.get("/x/", {"next": "//evil.example/"}), "/home/") == "/home/"
    assert safe_next_url(factory.get("/x/"), "/home/") == "/home/"
    assert safe_next_url(factory.get("/x/")) == ""


def test_a_secure_page_does_not_go_back_over_plain_http():
    request = factory.get("/x/", {"next": "http://testserver/crm/"}, secure=True)
    assert safe_next_url(request, "/home/") == "/home/"
    request = factory.get("/x/", {"next": "https://testserver/crm/"}, secure=True)
    assert safe_next_url(request, "/home/") == "https://testserver/crm/"
