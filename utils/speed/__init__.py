"""The speed code of :doc:`/chapters/10_fast_training_on_cpu` (chapter 10), which ``make bench``
(``tools/bench.py``) repeats with more repeats; no other chapter imports it, so an edit here
re-executes chapter 10 only (``tools/notebook_keys.py``).

- :mod:`utils.speed.timing`  timing with repeats: min / median / max of the same work
- :mod:`utils.speed.flops`   FLOPs of a recurrent step from its equations; the matmul peak
- :mod:`utils.speed.throughput` tokens per second of training, here or in a fresh process
- :mod:`utils.speed.setups`  the chapter's settings (seed's set-up, recipe, levers), measured alike
- :mod:`utils.speed.race`    time to a common validation accuracy, for models of ``utils.models``
- :mod:`utils.speed.data_parallel` ``MirroredStrategy`` on logical CPUs, checked against one

What the chapter shares with others stays in :mod:`utils`: :mod:`utils.fresh_process` (also
used by :mod:`utils.models`) and :mod:`utils.cudnn` (also used by chapter 4).
"""
