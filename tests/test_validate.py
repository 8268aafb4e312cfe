"""The one argument-checking module: what each check accepts, what it refuses, and that messages name the argument,
the expected and the received value."""

from dataclasses import dataclass

import numpy as np
import pytest
import torch

from nlpcourse import validate as V


def test_is_int_accepts_python_and_numpy_ints_only():
    assert all(V.is_int(x) for x in (0, -3, np.int64(2), np.int32(5), np.uint8(1)))
    assert not any(V.is_int(x) for x in (True, np.bool_(True), 2.0, np.float64(2), "2", None, [1]))


def test_integer_bounds_types_and_messages():
    assert V.integer(np.int64(3), "k") == 3 and type(V.integer(np.int64(3), "k")) is int
    assert V.integer(5, "k", low=1, high=5) == 5
    with pytest.raises(TypeError, match=r"^batch_size: expected an int >= 1, got 2\.5 \(float\)$"):
        V.positive_int(2.5, "batch_size")
    with pytest.raises(TypeError, match=r"max_size: expected an int >= 1, got True \(bool\)"):
        V.positive_int(True, "max_size")
    with pytest.raises(ValueError, match=r"^k: expected an int in \[1, 5\], got 6$"):
        V.integer(6, "k", low=1, high=5)
    with pytest.raises(ValueError, match=r"^k: expected an int <= 5, got 6$"):
        V.integer(6, "k", high=5)
    with pytest.raises(ValueError, match=r"^seed: expected an int >= 0, got -1$"):
        V.non_negative_int(-1, "seed")
    with pytest.raises(TypeError, match=r"^n: expected a size >= 2, got '3' \(str\)$"):
        V.integer("3", "n", low=2, what="a size")


def test_number_probability_and_positive_float():
    assert V.number(np.float32(0.5), "x") == 0.5 and V.number(3, "x") == 3.0
    assert V.probability(0.0, "p") == 0.0 and V.probability(1, "p") == 1.0
    assert V.positive_float(1e-9, "lr") == 1e-9
    with pytest.raises(TypeError, match=r"lr: expected a number > 0, got True \(bool\)"):
        V.positive_float(True, "lr")
    with pytest.raises(ValueError, match=r"^lr: expected a number > 0, got 0$"):
        V.positive_float(0.0, "lr")
    with pytest.raises(ValueError, match=r"^p: expected a number >= 0 and <= 1, got 1\.5$"):
        V.probability(1.5, "p")
    with pytest.raises(ValueError, match=r"p: expected a number >= 0 and < 1, got 1$"):
        V.probability(1.0, "p", open_high=True)
    with pytest.raises(ValueError, match="x: expected a finite number, got nan"):
        V.number(float("nan"), "x")
    with pytest.raises(ValueError, match="sample: expected a threshold >= 0, got -0.001"):
        V.number(-1e-3, "sample", low=0.0, what="a threshold")
    with pytest.raises(TypeError, match="x: expected a number"):
        V.number("0.5", "x")


def test_one_of_names_the_options():
    assert V.one_of("relu", "activation", ("relu", "tanh")) == "relu"
    with pytest.raises(ValueError, match=r"activation: expected one of \['relu', 'tanh'\], got 'gelu' \(str\)"):
        V.one_of("gelu", "activation", ("tanh", "relu"))
    with pytest.raises(ValueError, match="axis"):
        V.one_of(["x"], "axis", {"x", "y"})  # unhashable against a set: refused, not a crash


def test_array_shapes_with_symbols_shared_between_calls():
    sizes = {}
    q = V.array(np.zeros((3, 4)), "q", shape=("L", "d"), sizes=sizes)
    assert q.dtype == np.float64 and sizes == {"L": 3, "d": 4}
    V.array(np.zeros((5, 4)), "k", shape=("S", "d"), sizes=sizes)
    with pytest.raises(ValueError, match=r"v: expected shape \(S, d\) with d = 4, got \(5, 3\) \(axis 1 has 3\)"):
        V.array(np.zeros((5, 3)), "v", shape=("S", "d"), sizes=sizes)
    with pytest.raises(ValueError, match=r"x: expected shape \(2,\), got \(3,\)"):
        V.array([1, 2, 3], "x", shape=(2,))
    with pytest.raises(ValueError, match=r"x: expected shape \(\?, 2\), got \(3,\)"):
        V.array([1, 2, 3], "x", shape=(None, 2))
    with pytest.raises(ValueError, match="x: expected a 2-D array, got shape"):
        V.array([1, 2, 3], "x", ndim=2)
    with pytest.raises(TypeError, match="x: expected an array of numbers"):
        V.array(["a", "b"], "x")
    np.testing.assert_array_equal(V.array(torch.ones(2), "t"), [1.0, 1.0])  # a tensor is converted


def test_float_and_int_arrays():
    with pytest.raises(ValueError, match="x: expected finite numbers"):
        V.float_array([1.0, np.inf], "x")
    assert np.isnan(V.float_array([np.nan], "x", finite=False)[0])
    ids = V.int_array(np.array([1, 2], dtype=np.int32), "ids", ndim=1)
    assert ids.dtype == np.int64
    with pytest.raises(TypeError, match="ids: expected an array of ints, got dtype float64"):
        V.int_array([1.0, 2.0], "ids")
    assert V.int_array([], "ids").shape == (0,)


def test_ids_in_range_index_non_empty_string_keys():
    np.testing.assert_array_equal(V.ids_in_range([0, 3], "ids", 4), [0, 3])
    with pytest.raises(ValueError, match=r"negatives: expected word indices in \[0, 4\), got 4"):
        V.ids_in_range([1, 4], "negatives", 4, what="word indices")
    with pytest.raises(ValueError, match="ids: expected at least one of the ids"):
        V.ids_in_range([], "ids", 4)
    assert V.ids_in_range([], "ids", 4, allow_empty=True).size == 0
    assert V.index(np.int64(2), "target", 3) == 2
    with pytest.raises(ValueError, match=r"target: expected a word index in \[0, 3\), got 3"):
        V.index(3, "target", 3, what="a word index")
    with pytest.raises(TypeError, match="target"):
        V.index(1.0, "target", 3)
    assert V.non_empty([1], "xs") == [1]
    with pytest.raises(ValueError, match="seeds: expected at least one of the seeds, got an empty tuple"):
        V.non_empty((), "seeds", what="seeds")
    with pytest.raises(TypeError, match="xs: expected a non-empty collection"):
        V.non_empty(3, "xs")
    assert V.string("a", "name") == "a" and V.string("", "name", allow_empty=True) == ""
    with pytest.raises(ValueError, match="name: expected a non-empty str"):
        V.string("", "name")
    with pytest.raises(TypeError, match="name: expected a str, got 3"):
        V.string(3, "name")
    assert V.keys({"a": 1, "b": 2}, "params", ["a"]) == {"a": 1, "b": 2}
    with pytest.raises(KeyError, match=r"params: expected keys \['a', 'c'\], missing \['c'\]"):
        V.keys({"a": 1}, "params", ["a", "c"])
    with pytest.raises(TypeError, match="params: expected a dict"):
        V.keys([1], "params", ["a"])


@dataclass(frozen=True)
class _Toy(V.Config):
    size: int = 3
    rate: float = 0.5

    def __post_init__(self) -> None:
        self._set("size", V.positive_int(self.size, "size"))
        self._set("rate", V.probability(self.rate, "rate"))


def test_config_checks_cleans_and_replaces_fields():
    c = _Toy(size=np.int64(4))
    assert c.size == 4 and type(c.size) is int
    assert _Toy.make(c, rate=0.25) == _Toy(4, 0.25) and _Toy.make() == _Toy()
    with pytest.raises(TypeError, match="siz: not a field of _Toy"):
        _Toy.make(siz=3)
    with pytest.raises(TypeError, match="config: expected a _Toy"):
        _Toy.make({"size": 3})
    with pytest.raises(ValueError, match="rate"):
        _Toy.make(c, rate=2.0)  # overrides are checked again
