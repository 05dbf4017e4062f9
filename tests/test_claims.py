"""utils.claims: one short line per claim of the prose."""

import numpy as np
import pytest

from utils.claims import check, choose, glue_all, record_all


def test_check_passes_a_true_claim_and_names_a_false_one():
    check(np.float64(0.9) > 0.5, "accuracy above chance")
    with pytest.raises(AssertionError, match="accuracy above chance: \\(0.4,\\)"):
        check(0.4 > 0.5, "accuracy above chance", 0.4)
    with pytest.raises(AssertionError, match="^no details$"):
        check(np.bool_(False), "no details")


def test_check_rejects_a_claim_that_is_not_text():
    with pytest.raises(TypeError, match="claim"):
        check(True, 3)


def test_choose_picks_the_first_true_sentence():
    assert choose((False, "higher"), (np.bool_(True), "lower"), (True, "same")) == "lower"
    with pytest.raises(AssertionError, match="no sentence"):
        choose((False, "higher"), (0, "lower"))
    with pytest.raises(TypeError, match="cases"):
        choose(("higher",))


def test_glue_all_glues_every_value(monkeypatch):
    import myst_nb

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: glued.update({name: value}))
    assert glue_all(a=1, b="two") == {"a": 1, "b": "two"} == glued


def test_glue_all_glues_numpy_scalars_as_python_numbers(monkeypatch):
    import myst_nb

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: glued.update({name: value}))
    glue_all(share=np.float64(0.25), count=np.int64(3))
    assert glued == {"share": 0.25, "count": 3}
    assert type(glued["share"]) is float and type(glued["count"]) is int
    assert repr(glued["share"]) == "0.25"  # the text glue keeps, readable by a format


def test_glue_all_closes_a_glued_figure(monkeypatch):
    import matplotlib.pyplot as plt
    import myst_nb

    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: None)
    fig = plt.figure()
    glue_all(fig_x=fig)
    assert not plt.fignum_exists(fig.number)


def test_record_all_records_every_value(monkeypatch, tmp_path):
    from utils import results

    recorded = {}
    monkeypatch.setattr(results, "record",
                        lambda notebook, name, value: recorded.setdefault(name, value))
    assert record_all("01_x", a=1, b=0.5) == {"a": 1, "b": 0.5} == recorded
