"""utils.prose: numbers in sentences as people write them."""

import numpy as np
import pytest

from utils import prose
from utils.prose import number


@pytest.mark.parametrize(("value", "digits", "text"), [
    (4.2e-19, 1, "4 × 10⁻¹⁹"),
    (-3.2e-9, 2, "-3.2 × 10⁻⁹"),
    (2e6, 1, "2 million"),
    (1.5e6, 2, "1.5 million"),
    (7.3e9, 2, "7.3 billion"),
    (12345.6, 2, "12,346"),
    (999.6, 2, "1,000"),
    (0.1737, 2, "0.17"),
    (0.0, 2, "0"),
    (np.float32(0.5), 1, "0.5"),
])
def test_number_reads_as_people_write(value, digits, text):
    assert number(value, digits) == text


@pytest.mark.parametrize(("value", "digits", "error"), [
    ("1", 1, TypeError), (True, 1, TypeError), (float("nan"), 1, ValueError), (1.0, 0, ValueError),
])
def test_number_rejects_bad_input_by_name(value, digits, error):
    with pytest.raises(error, match="value|digits"):
        number(value, digits)


def test_glue_number_records_the_value_with_a_notebook(monkeypatch):
    import myst_nb

    from utils import prose, results

    glued, recorded = {}, {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: glued.update({name: value}))
    monkeypatch.setattr(results, "record", lambda notebook, name, value, glue: recorded.update(
        {(notebook, name): (value, glue)}))
    assert prose.glue_number("x", 4.2e-19, notebook="02_x") == "4 × 10⁻¹⁹"
    assert glued == {"x": "4 × 10⁻¹⁹"} and recorded == {("02_x", "x"): (4.2e-19, False)}
    prose.glue_number("y", 0.5)
    assert ("02_x", "y") not in recorded and glued["y"] == "0.5"


def test_glue_numbers_glues_each_and_rejects_a_non_dict(monkeypatch):
    import myst_nb

    from utils import prose

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: glued.update({name: value}))
    assert prose.glue_numbers({"a": 2e6, "b": 0.1737}, 2) == {"a": "2 million", "b": "0.17"}
    assert glued == {"a": "2 million", "b": "0.17"}
    with pytest.raises(TypeError, match="values"):
        prose.glue_numbers([("a", 1.0)])


def test_join_lists_items_as_a_sentence_does():
    assert prose.join([]) == "" and prose.join(["a"]) == "a"
    assert prose.join(["a", "b"]) == "a and b" and prose.join(["a", "b", "c"]) == "a, b and c"
