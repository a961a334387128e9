"""Well-formed Unicode: the one place that knows what a lone surrogate is.

Python's ``json`` turns ``"\\ud800"`` into a ``str`` holding a lone surrogate, which no database, response or
template can encode. The API parser and the admin's JSON fields refuse such text (:func:`is_well_formed`); the
renderer and the templates show text stored before that with U+FFFD in place of each surrogate
(:func:`well_formed_text`)."""


def is_well_formed(text):
    """False when ``text`` holds a lone surrogate (it cannot be encoded as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def well_formed_text(text):
    """``text`` with every lone surrogate replaced by U+FFFD (well-formed text is returned unchanged)."""
    if is_well_formed(text):
        return text
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
