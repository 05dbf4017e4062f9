"""Helpers shared by the notebooks of *Gated Recurrent Units - an executable book*.

Each module is named for an idea and says in its docstring which chapter explains it:

- :mod:`utils.config`  quick mode, seeds, paths (the only reader of the environment)
- :mod:`utils.data`    the IMDB dataset: download, verification, caching, tokenisation
- :mod:`utils.plots`   the book's single figure style and its recurring plots
- :mod:`utils.results` headline numbers: glued into the prose and recorded to ``_build/metrics``
- :mod:`utils.rnn`     a plain recurrent network in NumPy, equal to Keras' ``SimpleRNN``
- :mod:`utils.gradients` gradient norms through time (dh_T/dh_t, dL/dh_t) of any Keras RNN layer
- :mod:`utils.tasks`   long-memory tasks (adding problem, marked symbol) and a fixed training budget
- :mod:`utils.gru`     a Keras GRU re-computed in NumPy, exposing its gates z, r and candidate
- :mod:`utils.sequences` truncation, padding, length bucketing: the training recipe (``RECIPE``)
- :mod:`utils.text`    raw review text to the book's ids inside a Keras model
- :mod:`utils.model_configs` the named model configurations (``ModelConfig``, ``CONFIGS``)
- :mod:`utils.splits`  the book's IMDB split: validation holds out whole movies
- :mod:`utils.models`  named IMDB models, trained once and cached; the end-to-end text model
- :mod:`utils.reading` how a trained GRU reads a review: state change, gates, running verdict
- :mod:`utils.live`    the classifier exported for the live page's JavaScript (chapter 11)
- :mod:`utils.tables`  Markdown tables of results
- :mod:`utils.prose`   numbers in sentences as people write them (``4 × 10⁻¹⁹``, ``2 million``)
- :mod:`utils.claims`  the prose's quantitative sentences checked: one short line per claim
- :mod:`utils.baselines` NB-weighted bag of n-grams (log-count ratio), the strongest cheap baseline
- :mod:`utils.compare` McNemar's paired test: is model A better than B on the same examples?
- :mod:`utils.nb_steps` the n-grams' log-count ratios at every step of a review (out of fold): a GRU
  that reads them, and its ablation without the recurrence
- :mod:`utils.order_probe` sentence pairs whose clauses swap around *but*: where only order decides
- :mod:`utils.fresh_process` a measurement in a new interpreter (what TensorFlow fixes at start)
- :mod:`utils.cudnn`   whether a GRU/LSTM layer and a batch's mask would get the cuDNN kernel
- :mod:`utils.timeseries` the hourly weather of chapter 12: windows, baselines, forecasts
- :mod:`utils.seq2seq` dates in many formats to ISO 8601: the encoder–decoder of chapter 13
- :mod:`utils.atomic`  atomic file writes: a reader never sees half a cache or output file
- :mod:`utils.checks`  argument checks shared by the modules (``positive_int``)
- :mod:`utils.speed`   the speed chapter's code, which only chapter 10 and ``make bench`` import:
  timing, FLOPs, throughput, the chapter's settings, time to accuracy, data parallelism (its
  own docstring lists its modules)

``make bench`` (the speed chapter's measurements repeated, and build times) is project tooling
outside this package: ``tools/bench.py``.
"""

import os

from utils import config as _config

# Quieten TensorFlow's C++ start-up chatter in notebooks (must be set before it is imported).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow allocates so that freed memory can go back (a Binder session has 2 GB):
# see utils.config.limit_memory.
_config.limit_memory()

__version__ = "0.1.0"
