# IPython kernel configuration for the book's environment (copied into <env>/etc/ipython/ by
# `make setup` and by binder/postBuild). TensorFlow's C++ start-up log lines are written
# straight to file descriptor 2; by default ipykernel forwards them into every notebook's
# output. Python-level warnings (sys.stderr) are still shown.
c.IPKernelApp.capture_fd_output = False  # noqa: F821 - `c` is injected by the config loader
