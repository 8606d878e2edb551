"""The page's language: from the link, else the browser's, switchable; a shared link keeps it."""

from helpers import link, run_page

from i18n import use

PAGE = "views/playground.py"


def test_english_by_default_and_nothing_in_the_link():
    at = run_page(PAGE)
    assert at.session_state["lang"] == "en" and "lang" not in link(at)


def test_the_link_chooses_the_language_and_keeps_it():
    at = run_page(PAGE, {"lang": "zh", "steps": "300"})
    assert not at.warning and at.session_state["lang"] == "zh"
    # AppTest calls a select box's label function again after the run, outside the page's
    # language (a browser sends the chosen option back instead): run it in the page's.
    with use("zh"):
        at.slider(key="r0_momentum").set_value(0.5).run()
    assert link(at)["lang"] == "zh" and link(at)["r0_momentum"] == "0.5"


def test_the_switch_puts_the_language_in_the_link():
    at = run_page(PAGE)
    at.button_group(key="lang").set_value("zh").run()
    assert at.session_state["lang"] == "zh" and link(at)["lang"] == "zh"
    with use("zh"):  # as above: the select boxes were labelled in Chinese
        at.button_group(key="lang").set_value("en").run()
    assert "lang" not in link(at)


def test_an_unknown_language_is_refused_with_a_note():
    at = run_page(PAGE, {"lang": "fr"})
    assert "lang=fr" in at.warning[0].value and at.session_state["lang"] == "en"
